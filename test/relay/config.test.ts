import assert from 'node:assert/strict';
import { ConfigError, loadConfig } from '../../server/config';
import { startRelay } from '../../server/relay';
import { LogCapture } from '../support/logCapture';
import { type Env, relayEnv } from './helpers/harness';

const UPSTREAM = 'http://127.0.0.1:11434';

/** Asserts that the relay refuses to start — at loadConfig or at startRelay — with a ConfigError naming `variable`. */
async function expectConfigError(overrides: Env, variable: string | readonly string[]): Promise<ConfigError> {
  const accepted = typeof variable === 'string' ? [variable] : variable;
  const env = relayEnv(UPSTREAM, '/tmp/aide-relay-config-test', overrides);
  let caught: unknown;
  try {
    const relay = await startRelay(loadConfig(env), { logStream: new LogCapture() });
    await relay.close();
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof ConfigError, `expected a ConfigError for ${variable}, got ${caught instanceof Error ? `${caught.name}: ${caught.message}` : String(caught)}`);
  assert.ok(accepted.includes(caught.variable), `the error names ${accepted.join(' or ')}, not ${caught.variable}`);
  assert.ok(caught.message.includes(caught.variable), 'the message names the variable');
  return caught;
}

describe('relay: configuration', () => {
  it('accepts the test environment and the documented defaults', () => {
    assert.doesNotThrow(() => loadConfig(relayEnv(UPSTREAM, '/tmp/x')));
    assert.doesNotThrow(() => loadConfig({}));
  });

  for (const port of ['abc', '70000', '-1', '80.5']) {
    it(`refuses PORT=${port}`, async () => {
      await expectConfigError({ PORT: port }, 'PORT');
    });
  }

  for (const upstream of ['http://', 'not a url at all', 'ftp://gpu.example.com', 'http://[::1']) {
    it(`refuses OLLAMA_HOST=${upstream}`, async () => {
      await expectConfigError({ OLLAMA_HOST: upstream }, 'OLLAMA_HOST');
    });
  }

  it('refuses plain http to a non-loopback upstream unless OLLAMA_ALLOW_INSECURE=1', async () => {
    await expectConfigError({ OLLAMA_HOST: 'http://gpu.example.com:11434' }, 'OLLAMA_HOST');
    assert.doesNotThrow(() => loadConfig(relayEnv('http://gpu.example.com:11434', '/tmp/x', { OLLAMA_ALLOW_INSECURE: '1' })));
    assert.doesNotThrow(() => loadConfig(relayEnv('https://gpu.example.com', '/tmp/x')));
    assert.doesNotThrow(() => loadConfig(relayEnv('http://localhost:11434', '/tmp/x')));
  });

  it('refuses an insecure upstream hidden in a comma-separated list', async () => {
    await expectConfigError({ OLLAMA_HOST: 'https://a.example.com,http://b.example.com:11434' }, 'OLLAMA_HOST');
  });

  it('never repeats upstream credentials in a configuration error', async () => {
    const error = await expectConfigError({ OLLAMA_HOST: 'http://admin:hunter2-secret@gpu.example.com:11434' }, 'OLLAMA_HOST');
    assert.ok(!error.message.includes('hunter2-secret'));
    const invalid = await expectConfigError({ OLLAMA_HOST: 'http://admin:hunter2-secret@[bad' }, 'OLLAMA_HOST');
    assert.ok(!invalid.message.includes('hunter2-secret'));
  });

  const badNumbers: Array<[string, string]> = [
    ['MAX_BODY_BYTES', 'lots'],
    ['MAX_BODY_BYTES', '-5'],
    ['FIRST_BYTE_TIMEOUT_MS', '1.5'],
    ['STREAM_IDLE_TIMEOUT_MS', 'soon'],
    ['UPSTREAM_CONNECT_TIMEOUT_MS', '5s'],
    ['HEADERS_TIMEOUT_MS', '-1'],
    ['RATE_LIMIT_RPM', 'many'],
    ['MAX_INFLIGHT_PER_TOKEN', 'x'],
    ['MAX_QUEUE', '1e3'],
    ['CACHE_TTL_S', 'forever'],
    ['CACHE_MAX_MB', '-64'],
  ];
  for (const [variable, value] of badNumbers) {
    it(`refuses ${variable}=${value}`, async () => {
      await expectConfigError({ [variable]: value }, variable);
    });
  }

  it('refuses an unknown LOG_LEVEL and CACHE_SCOPE', async () => {
    await expectConfigError({ LOG_LEVEL: 'loud' }, 'LOG_LEVEL');
    await expectConfigError({ CACHE_SCOPE: 'world' }, 'CACHE_SCOPE');
  });

  it('refuses a RELAY_TOKENS_FILE that cannot be read', async () => {
    await expectConfigError({ RELAY_TOKENS: undefined, RELAY_TOKENS_FILE: '/nonexistent/aide/tokens.txt' }, 'RELAY_TOKENS_FILE');
  });

  it('refuses a TLS certificate without its key', async () => {
    await expectConfigError({ TLS_CERT_FILE: '/tmp/cert.pem' }, ['TLS_KEY_FILE', 'TLS_CERT_FILE']);
  });
});
