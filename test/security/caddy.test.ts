/**
 * Transport security between the relay and the Ollama host, end to end through the real Caddy running
 * deploy/ollama-host/Caddyfile: mutual TLS with a private CA made by deploy/ollama-host/make-certs.sh,
 * admin routes closed at the edge, streams unbuffered, Host/Origin rewritten for Ollama.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ollama } from 'ollama';
import { ConfigError, loadConfig } from '../../server/config';
import { fakeReplyText, type FakeOllama, isAdminPath, startFakeOllama } from '../fakes/fakeOllama';
import { LogCapture } from '../support/logCapture';
import { startLocalRelay } from '../support/relay';
import { textExchange, type TextResponse } from '../support/textExchange';
import { type CertSet, makeCerts } from './helpers/certs';
import { requireCaddy, type RunningCaddy, startCaddy } from './helpers/caddy';
import { CHAT_MODEL, errorText, forwarded, TOKEN } from './helpers/relayRig';

/** A request straight to Caddy, as curl with --cacert/--cert/--key would send it; the path is sent as written. */
async function edgeRequest(caddy: RunningCaddy, certs: CertSet, path: string, init: { method?: string; body?: string; headers?: Record<string, string>; clientCert?: boolean } = {}): Promise<TextResponse> {
  const request = https.request({
    host: '127.0.0.1',
    port: caddy.port,
    path,
    method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
    headers: { ...(init.body === undefined ? {} : { 'Content-Type': 'application/json' }), ...init.headers },
    ca: readFileSync(certs.caCert),
    ...(init.clientCert === false ? {} : { cert: readFileSync(certs.clientCert), key: readFileSync(certs.clientKey) }),
    agent: false,
    timeout: 10_000,
  });
  return textExchange(request, init.body, `edge request ${path}`);
}

describe('security: relay → Caddy (mutual TLS) → Ollama', function () {
  this.timeout(30_000);
  let workDir = '';
  let certs: CertSet;
  let otherCa: CertSet;
  let fake: FakeOllama;
  let caddy: RunningCaddy;
  const relays: Array<{ close(deadlineMs?: number): Promise<void> }> = [];
  const relayLogs = new LogCapture();

  before(async function () {
    requireCaddy(this);
    workDir = mkdtempSync(join(tmpdir(), 'aide-sec-caddy-'));
    certs = makeCerts(join(workDir, 'pki'));
    otherCa = makeCerts(join(workDir, 'other-pki'));
    fake = await startFakeOllama();
    caddy = await startCaddy({
      stateDir: join(workDir, 'caddy'),
      env: {
        OLLAMA_UPSTREAM: new URL(fake.url).host,
        TLS_CERT_FILE: certs.serverCert,
        TLS_KEY_FILE: certs.serverKey,
        CLIENT_CA_FILE: certs.caCert,
      },
    });
  });

  after(async () => {
    for (const relay of relays.splice(0)) await relay.close();
    await caddy?.close();
    await fake?.close();
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  });

  beforeEach(() => fake?.reset());

  /** A relay in front of the Caddy edge; `tls` names the upstream TLS files (undefined leaves one out). */
  async function relayToEdge(tls: { ca?: string; cert?: string; key?: string }, extra: Record<string, string> = {}): Promise<string> {
    const { relay } = await startLocalRelay({
      env: {
        OLLAMA_HOST: caddy.url,
        OLLAMA_CA_FILE: tls.ca,
        OLLAMA_CLIENT_CERT_FILE: tls.cert,
        OLLAMA_CLIENT_KEY_FILE: tls.key,
        RELAY_TOKENS: `edge-test:${TOKEN}`,
        UPSTREAM_CONNECT_TIMEOUT_MS: '5000',
        UPSTREAM_PROBE_INTERVAL_MS: '3600000',
        LOG_LEVEL: 'debug',
        ...extra,
      },
      dataDir: join(workDir, 'relay-data'),
      logStream: relayLogs,
    });
    relays.push(relay);
    return relay.url;
  }

  async function tagsThrough(relayUrl: string): Promise<{ status: number; error: string }> {
    const response = await fetch(`${relayUrl}/api/tags`, { headers: { Authorization: `Bearer ${TOKEN}` }, signal: AbortSignal.timeout(15_000) });
    const body = await response.text();
    return { status: response.status, error: errorText(body) };
  }

  it('streams a chat from the real ollama client through relay → Caddy → Ollama, chunk by chunk', async () => {
    const relayUrl = await relayToEdge({ ca: certs.caCert, cert: certs.clientCert, key: certs.clientKey });
    fake.behave({ tokenDelayMs: 120 });
    const client = new Ollama({ host: relayUrl, headers: { Authorization: `Bearer ${TOKEN}` } });
    const stream = await client.chat({ model: CHAT_MODEL, messages: [{ role: 'user', content: 'hello through the edge' }], stream: true });
    let text = '';
    let chunks = 0;
    let generationRunningAtFirstChunk: boolean | undefined;
    for await (const part of stream) {
      chunks += 1;
      // Unbuffered end to end: the first token reaches the editor while Ollama is still generating.
      generationRunningAtFirstChunk ??= fake.stats.activeGenerations === 1 && fake.stats.generationsCompleted === 0;
      text += part.message.content;
    }
    assert.equal(text, fakeReplyText('hello through the edge'));
    assert.ok(chunks > 3, `expected a stream of chunks, got ${chunks}`);
    assert.equal(generationRunningAtFirstChunk, true, 'the first chunk arrived only after the generation had finished: something buffers the stream');
    const seen = fake.requestsTo('/api/chat');
    assert.equal(seen.length, 1);
    assert.equal(seen[0]?.headers.host, '127.0.0.1:11434', 'Caddy presents Ollama with a loopback Host');
    assert.equal(seen[0]?.headers.origin, undefined);
    assert.equal(seen[0]?.headers.authorization, undefined, 'no credential reaches Ollama');
  });

  it('answers 502 with a TLS message when the relay has no client certificate', async () => {
    const relayUrl = await relayToEdge({ ca: certs.caCert });
    const { status, error } = await tagsThrough(relayUrl);
    assert.equal(status, 502, error);
    assert.match(error, /TLS/);
    assert.match(error, /client certificate|OLLAMA_CA_FILE/);
    assert.deepEqual(forwarded(fake), []);
  });

  it('answers 502 with a TLS message when the relay trusts a different CA', async () => {
    const relayUrl = await relayToEdge({ ca: otherCa.caCert, cert: certs.clientCert, key: certs.clientKey });
    const { status, error } = await tagsThrough(relayUrl);
    assert.equal(status, 502, error);
    assert.match(error, /TLS/);
    assert.match(error, /OLLAMA_CA_FILE/);
    assert.deepEqual(forwarded(fake), []);
  });

  it('answers 502 with a TLS message when the private CA is not trusted at all', async () => {
    const relayUrl = await relayToEdge({ cert: certs.clientCert, key: certs.clientKey });
    const { status, error } = await tagsThrough(relayUrl);
    assert.equal(status, 502, error);
    assert.match(error, /TLS/);
    assert.deepEqual(forwarded(fake), []);
  });

  it('answers 502 with a TLS message when the client certificate comes from another CA', async () => {
    const relayUrl = await relayToEdge({ ca: certs.caCert, cert: otherCa.clientCert, key: otherCa.clientKey });
    const { status, error } = await tagsThrough(relayUrl);
    assert.equal(status, 502, error);
    assert.match(error, /TLS/);
    assert.deepEqual(forwarded(fake), []);
  });

  it('refuses a direct TLS handshake without a client certificate', async () => {
    await assert.rejects(edgeRequest(caddy, certs, '/api/version', { clientCert: false }), (error: NodeJS.ErrnoException) => {
      assert.match(`${error.code ?? ''} ${error.message}`, /certificate|ECONNRESET|alert/i);
      return true;
    });
    assert.deepEqual(forwarded(fake), []);
  });

  it('answers admin routes 403 at the edge, however the path is spelled, and Ollama never sees them', async () => {
    const canonical = ['/api/pull', '/api/push', '/api/create', '/api/copy', '/api/blobs/sha256:0123', '/api/me', '/api/signout', '/api/experimental/web_search', '/api/experimental/web_fetch', '/api/user/keys/abc'];
    for (const path of canonical) {
      const { status, body } = await edgeRequest(caddy, certs, path, { body: '{"model":"llama3.2:1b"}' });
      assert.equal(status, 403, `${path}: ${body}`);
    }
    assert.equal((await edgeRequest(caddy, certs, '/api/delete', { method: 'DELETE', body: '{"model":"llama3.2:1b"}' })).status, 403);
    assert.equal((await edgeRequest(caddy, certs, '/api/experimental/model-recommendations')).status, 403);
    const disguised = ['/api/../api/pull', '/api/%2e%2e/api/pull', '/api/%2E%2E/api/pull', '//api/pull', '/api/pull/', '/API/PULL', '/api/%70ull', '/api/./pull', '/api//pull', '/api/tags/../pull', '/api/pull?insecure=true'];
    for (const path of disguised) {
      const { status, body } = await edgeRequest(caddy, certs, path, { body: '{"model":"llama3.2:1b"}' });
      assert.ok(status === 403 || status === 404, `${path}: expected 403 or 404, got ${status} ${body}`);
    }
    assert.equal(fake.stats.adminRequests, 0);
    assert.deepEqual(fake.requests.filter((r) => isAdminPath(r.path)), []);
  });

  it('passes only the routes a relay needs: anything else is 404 at the edge', async () => {
    assert.equal((await edgeRequest(caddy, certs, '/api/version')).status, 200);
    for (const path of ['/api/status', '/v1/responses', '/v1/messages', '/_fake/stats', '/debug/pprof/']) {
      const { status, body } = await edgeRequest(caddy, certs, path);
      assert.equal(status, 404, `${path}: ${body}`);
    }
    assert.deepEqual(
      forwarded(fake).map((r) => r.path),
      ['/api/version'],
    );
  });

  it('drops a browser Origin before Ollama sees it (Ollama would answer 403)', async () => {
    const { status, body } = await edgeRequest(caddy, certs, '/api/tags', { headers: { Origin: 'https://evil.example' } });
    assert.equal(status, 200, body);
    assert.equal(fake.requestsTo('/api/tags')[0]?.headers.origin, undefined);
  });

  it('never writes the relay token to the relay or Caddy logs', () => {
    assert.ok(relayLogs.text.length > 0, 'the relays wrote logs');
    assert.ok(!relayLogs.text.includes(TOKEN));
    assert.ok(!caddy.logs().includes(TOKEN));
  });
});

describe('security: bearer-token edge (EDGE_TOKEN, no client certificate)', function () {
  this.timeout(30_000);
  const EDGE_TOKEN = 'edge-upstream-key-51c0ffee';
  let workDir = '';
  let certs: CertSet;
  let fake: FakeOllama;
  let caddy: RunningCaddy;
  const relayLogs = new LogCapture();
  const relays: Array<{ close(deadlineMs?: number): Promise<void> }> = [];

  before(async function () {
    requireCaddy(this);
    workDir = mkdtempSync(join(tmpdir(), 'aide-sec-edge-token-'));
    certs = makeCerts(join(workDir, 'pki'));
    fake = await startFakeOllama();
    caddy = await startCaddy({
      stateDir: join(workDir, 'caddy'),
      env: { OLLAMA_UPSTREAM: new URL(fake.url).host, TLS_CERT_FILE: certs.serverCert, TLS_KEY_FILE: certs.serverKey, EDGE_MTLS: 'off', EDGE_TOKEN },
    });
  });

  after(async () => {
    for (const relay of relays.splice(0)) await relay.close();
    await caddy?.close();
    await fake?.close();
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  });

  async function relayWithKey(apiKey: string | undefined): Promise<string> {
    const { relay } = await startLocalRelay({
      env: {
        OLLAMA_HOST: caddy.url,
        OLLAMA_CA_FILE: certs.caCert,
        OLLAMA_API_KEY: apiKey,
        RELAY_TOKENS: `edge-test:${TOKEN}`,
        UPSTREAM_PROBE_INTERVAL_MS: '3600000',
        LOG_LEVEL: 'debug',
      },
      dataDir: join(workDir, 'relay-data'),
      logStream: relayLogs,
    });
    relays.push(relay);
    return relay.url;
  }

  it('lets the relay in with OLLAMA_API_KEY and keeps the key away from Ollama and the logs', async () => {
    const relayUrl = await relayWithKey(EDGE_TOKEN);
    const response = await fetch(`${relayUrl}/api/tags`, { headers: { Authorization: `Bearer ${TOKEN}` }, signal: AbortSignal.timeout(10_000) });
    assert.equal(response.status, 200, await response.clone().text());
    const models: unknown = await response.json();
    assert.ok(JSON.stringify(models).includes(CHAT_MODEL));
    assert.equal(fake.requestsTo('/api/tags')[0]?.headers.authorization, undefined);
    assert.ok(!relayLogs.text.includes(EDGE_TOKEN));
    assert.ok(!caddy.logs().includes(EDGE_TOKEN));
  });

  it('answers 401 to a wrong token and 403 to admin routes even with the right one', async () => {
    fake.reset();
    assert.equal((await edgeRequest(caddy, certs, '/api/tags', { clientCert: false, headers: { Authorization: 'Bearer wrong-key' } })).status, 401);
    assert.equal((await edgeRequest(caddy, certs, '/api/tags', { clientCert: false })).status, 401);
    const admin = await edgeRequest(caddy, certs, '/api/pull', { clientCert: false, body: '{}', headers: { Authorization: `Bearer ${EDGE_TOKEN}` } });
    assert.equal(admin.status, 403, 'the right token does not open the admin routes');
    assert.deepEqual(forwarded(fake), []);
  });

  it('keeps a relay without the key out, and tells the editor it is the upstream credential, not its token (502)', async () => {
    fake.reset();
    const relayUrl = await relayWithKey(undefined);
    const response = await fetch(`${relayUrl}/api/tags`, { headers: { Authorization: `Bearer ${TOKEN}` }, signal: AbortSignal.timeout(10_000) });
    const body = await response.text();
    assert.deepEqual(forwarded(fake), []);
    // Ollama itself never answers 401: a 401 from upstream means the relay's own OLLAMA_API_KEY was refused
    // by the edge. Passed on as 401 it would tell the editor that its (valid) relay token is wrong.
    assert.equal(response.status, 502, `expected 502 for a refused upstream credential, got ${response.status} ${body}`);
    const direct = await edgeRequest(caddy, certs, '/api/tags', { clientCert: false, headers: { Authorization: 'Bearer wrong-key' } });
    assert.equal(direct.status, 401);
  });
});

describe('security: an edge with neither client certificates nor a token stays closed', function () {
  this.timeout(30_000);
  let workDir = '';
  let certs: CertSet;
  let fake: FakeOllama;
  let caddy: RunningCaddy;

  before(async function () {
    requireCaddy(this);
    workDir = mkdtempSync(join(tmpdir(), 'aide-sec-edge-closed-'));
    certs = makeCerts(join(workDir, 'pki'));
    fake = await startFakeOllama();
    caddy = await startCaddy({
      stateDir: join(workDir, 'caddy'),
      env: { OLLAMA_UPSTREAM: new URL(fake.url).host, TLS_CERT_FILE: certs.serverCert, TLS_KEY_FILE: certs.serverKey, EDGE_MTLS: 'off' },
    });
  });

  after(async () => {
    await caddy?.close();
    await fake?.close();
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  });

  it('answers every request 403 (EDGE_MTLS=off without EDGE_TOKEN is a mistake, not an open door)', async () => {
    for (const path of ['/api/version', '/api/tags', '/api/chat']) {
      const { status } = await edgeRequest(caddy, certs, path, { clientCert: false, headers: { Authorization: 'Bearer anything-at-all' } });
      assert.equal(status, 403, path);
    }
    assert.deepEqual(fake.requests, []);
  });
});

describe('security: plain http to a remote Ollama is refused', () => {
  it('is a ConfigError naming OLLAMA_HOST and saying why, unless OLLAMA_ALLOW_INSECURE=1', () => {
    for (const upstream of ['http://ollama.example.com:11434', 'http://10.0.0.5:11434', 'gpu-box.internal', 'http://127.0.0.1:11434,http://192.168.1.20:11434']) {
      assert.throws(
        () => loadConfig({ OLLAMA_HOST: upstream, RELAY_TOKENS: TOKEN }),
        (error: unknown) => {
          assert.ok(error instanceof ConfigError, `${upstream}: expected a ConfigError`);
          assert.equal(error.variable, 'OLLAMA_HOST');
          assert.match(error.message, /unencrypted/);
          assert.match(error.message, /https:\/\//);
          assert.match(error.message, /OLLAMA_ALLOW_INSECURE=1/);
          return true;
        },
      );
      assert.doesNotThrow(() => loadConfig({ OLLAMA_HOST: upstream, OLLAMA_ALLOW_INSECURE: '1', RELAY_TOKENS: TOKEN }));
    }
  });

  it('accepts https:// to a remote host and plain http:// on loopback', () => {
    assert.equal(loadConfig({ OLLAMA_HOST: 'https://ollama.example.com', RELAY_TOKENS: TOKEN }).upstreams[0]?.url.protocol, 'https:');
    assert.equal(loadConfig({ OLLAMA_HOST: 'http://127.0.0.1:11434', RELAY_TOKENS: TOKEN }).upstreams[0]?.url.protocol, 'http:');
    assert.equal(loadConfig({ OLLAMA_HOST: 'http://localhost:11434', RELAY_TOKENS: TOKEN }).upstreams[0]?.url.protocol, 'http:');
  });

  it('never echoes upstream credentials from the URL in the error', () => {
    assert.throws(
      () => loadConfig({ OLLAMA_HOST: 'http://user:hunter2-secret@ollama.example.com', RELAY_TOKENS: TOKEN }),
      (error: unknown) => error instanceof ConfigError && !error.message.includes('hunter2-secret'),
    );
  });
});
