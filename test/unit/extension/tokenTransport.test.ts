import './.setup';
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describeError } from '../../../extension/common/errors';
import { createOllamaClient } from '../../../extension/common/relayClient';
import { InsecureTokenTransportError, insecureTokenHost } from '../../../extension/common/tokenTransport';
import { REPOSITORY_ROOT } from '../../fakes/vscode/context';
import { field } from '../../support/json';

/** A fetch that records what would have been sent and answers like Ollama's /api/version. */
function recordingFetch(): { fetch: typeof fetch; sent: Array<{ url: string; authorization: string | null }> } {
  const sent: Array<{ url: string; authorization: string | null }> = [];
  const recording: typeof fetch = async (input, init) => {
    sent.push({ url: String(input), authorization: new Headers(init?.headers).get('authorization') });
    return new Response(JSON.stringify({ version: '0.9.0' }), { status: 200, headers: { 'Content-Type': 'application/json' } });
  };
  return { fetch: recording, sent };
}

describe('relay token transport', () => {
  it('never puts the token on plain http to a host off this machine, and says why', async () => {
    const { fetch, sent } = recordingFetch();
    const client = createOllamaClient({ url: 'http://relay.example.com:11435', token: 'secret-token' }, new AbortController().signal, {}, fetch);
    const error: unknown = await client.version().then(
      () => undefined,
      (rejected: unknown) => rejected,
    );
    assert.ok(error instanceof InsecureTokenTransportError);
    assert.equal(sent.length, 0, 'nothing was sent');
    const described = describeError(error, { url: 'http://relay.example.com:11435' });
    assert.equal(described.message, 'Refusing to send the relay token over plain http to relay.example.com:11435; use https://');
    assert.equal(described.retryable, false);
    assert.doesNotMatch(described.message, /secret-token/);
  });

  it('sends the token over https anywhere and over http on loopback', async () => {
    for (const url of ['https://relay.example.com', 'http://127.0.0.1:11435', 'http://localhost:11435', 'http://[::1]:11435']) {
      const { fetch, sent } = recordingFetch();
      await createOllamaClient({ url, token: 'secret-token' }, new AbortController().signal, {}, fetch).version();
      assert.equal(sent.length, 1, url);
      assert.equal(sent[0]?.authorization, 'Bearer secret-token', url);
    }
  });

  it('talks plain http to a remote Ollama when there is no token to protect', async () => {
    const { fetch, sent } = recordingFetch();
    await createOllamaClient({ url: 'http://10.0.0.5:11434' }, new AbortController().signal, {}, fetch).version();
    assert.equal(sent.length, 1);
    assert.equal(sent[0]?.authorization, null);
  });

  it('classifies hosts: loopback names and addresses are safe, anything else on http is not', () => {
    assert.equal(insecureTokenHost('http://127.0.0.1:11435'), undefined);
    assert.equal(insecureTokenHost('http://127.1.2.3'), undefined);
    assert.equal(insecureTokenHost('http://localhost'), undefined);
    assert.equal(insecureTokenHost('https://10.0.0.5'), undefined);
    assert.equal(insecureTokenHost('http://10.0.0.5:11435'), '10.0.0.5:11435');
    assert.equal(insecureTokenHost('http://127.0.0.1.evil.example'), '127.0.0.1.evil.example');
    assert.equal(insecureTokenHost('http://[::2]'), '[::2]');
  });

  it('keeps the relay URL out of workspace settings: machine scope, restricted in untrusted workspaces', () => {
    const manifest: unknown = JSON.parse(readFileSync(path.join(REPOSITORY_ROOT, 'package.json'), 'utf8'));
    const configuration = field(manifest, 'contributes', 'configuration');
    assert.ok(Array.isArray(configuration));
    const relayUrl = configuration.map((section: unknown) => field(section, 'properties', 'aide.relay.url')).find((spec) => spec !== undefined);
    assert.equal(field(relayUrl, 'scope'), 'machine');
    assert.equal(field(manifest, 'capabilities', 'untrustedWorkspaces', 'supported'), 'limited');
    assert.deepEqual(field(manifest, 'capabilities', 'untrustedWorkspaces', 'restrictedConfigurations'), ['aide.relay.url']);
  });
});
