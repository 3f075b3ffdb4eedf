/**
 * The relay serving HTTPS itself (TLS_CERT_FILE / TLS_KEY_FILE), for hosts without a TLS-terminating
 * platform in front: certificates made at test time with deploy/ollama-host/make-certs.sh.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ConfigError, loadConfig } from '../../server/config';
import { fakeReplyText } from '../fakes/fakeOllama';
import { textExchange, type TextResponse } from '../support/textExchange';
import { type CertSet, makeCerts } from './helpers/certs';
import { chatBody, forwarded, isRecord, ndjsonRecords, type SecurityRig, startSecurityRig, TOKEN } from './helpers/relayRig';
import { wireExchange } from './helpers/wire';

const CLIENT_SCRIPT = resolve(__dirname, 'fixtures/ollamaOverTls.mjs');

async function httpsGet(url: string, options: { ca?: Buffer; body?: string; token?: string }): Promise<TextResponse> {
  const request = https.request(url, {
    method: options.body === undefined ? 'GET' : 'POST',
    headers: { Authorization: `Bearer ${options.token ?? TOKEN}`, ...(options.body === undefined ? {} : { 'Content-Type': 'application/json' }) },
    ...(options.ca === undefined ? {} : { ca: options.ca }),
    agent: false,
    timeout: 10_000,
  });
  return textExchange(request, options.body, url);
}

describe('security: the relay serves HTTPS itself', function () {
  this.timeout(30_000);
  let workDir = '';
  let certs: CertSet;
  let rig: SecurityRig;

  before(async () => {
    workDir = mkdtempSync(join(tmpdir(), 'aide-sec-relay-tls-'));
    certs = makeCerts(join(workDir, 'pki'));
    rig = await startSecurityRig({ TLS_CERT_FILE: certs.serverCert, TLS_KEY_FILE: certs.serverKey });
  });

  after(async () => {
    await rig?.close();
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  });

  it('announces an https:// URL', () => {
    assert.match(rig.url, /^https:\/\/127\.0\.0\.1:\d+$/);
  });

  it('serves a streamed chat over TLS to a client that trusts the CA', async () => {
    const { status, body } = await httpsGet(`${rig.url}/api/chat`, { ca: readFileSync(certs.caCert), body: chatBody('tls chat') });
    assert.equal(status, 200, body);
    const records = ndjsonRecords(body);
    assert.equal(records.at(-1)?.done, true);
    const text = records.map((r) => (isRecord(r.message) && typeof r.message.content === 'string' ? r.message.content : '')).join('');
    assert.equal(text, fakeReplyText('tls chat'));
  });

  it('works with the real ollama npm client (default fetch, CA from NODE_EXTRA_CA_CERTS)', async () => {
    const output = await new Promise<string>((resolvePromise, reject) => {
      execFile(
        process.execPath,
        [CLIENT_SCRIPT],
        { env: { PATH: process.env.PATH, NODE_EXTRA_CA_CERTS: certs.caCert, RELAY_URL: rig.url, RELAY_TOKEN: TOKEN }, timeout: 20_000, cwd: resolve(__dirname, '../..') },
        (error, stdout, stderr) => (error && stdout === '' ? reject(new Error(`${error.message}\n${stderr}`)) : resolvePromise(stdout)),
      );
    });
    const result: unknown = JSON.parse(output.trim().split('\n').at(-1) ?? '{}');
    assert.ok(isRecord(result), output);
    assert.equal(result.error, undefined, `client failed: ${output}`);
    assert.equal(result.text, fakeReplyText('over https'));
    assert.ok(typeof result.chunks === 'number' && result.chunks > 3, output);
    assert.ok(Array.isArray(result.models) && result.models.includes('llama3.2:1b'), output);
  });

  it('is refused by a client that does not trust the CA (the certificate is really checked)', async () => {
    await assert.rejects(httpsGet(`${rig.url}/api/version`, {}), (error: NodeJS.ErrnoException) => {
      assert.match(String(error.code), /SELF_SIGNED|UNABLE_TO_VERIFY|CERT/);
      return true;
    });
  });

  it('still requires the relay token over TLS', async () => {
    const { status } = await httpsGet(`${rig.url}/api/tags`, { ca: readFileSync(certs.caCert), token: 'not-the-token-123' });
    assert.equal(status, 401);
  });

  it('answers nothing useful to plain HTTP on its TLS port, and forwards nothing', async () => {
    rig.fake.reset();
    const result = await wireExchange(rig.port, `GET /api/tags HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${TOKEN}\r\n\r\n`, { timeoutMs: 5_000 });
    assert.ok(!result.statuses.includes(200), `plain HTTP got an answer: ${result.text}`);
    assert.equal(result.closedByPeer, true, 'the relay closes a plaintext connection on its TLS port');
    assert.deepEqual(forwarded(rig.fake), []);
  });

  it('refuses TLS_CERT_FILE without TLS_KEY_FILE (and the reverse) at start', () => {
    assert.throws(() => loadConfig({ RELAY_TOKENS: TOKEN, TLS_CERT_FILE: certs.serverCert }), (error: unknown) => error instanceof ConfigError && error.variable === 'TLS_KEY_FILE');
    assert.throws(() => loadConfig({ RELAY_TOKENS: TOKEN, TLS_KEY_FILE: certs.serverKey }), (error: unknown) => error instanceof ConfigError && error.variable === 'TLS_CERT_FILE');
  });

  it('never logs the token', () => {
    assert.ok(rig.logs.text.includes('"status":200'), 'requests were logged');
    assert.ok(!rig.logs.text.includes(TOKEN));
  });
});
