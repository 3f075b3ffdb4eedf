/**
 * Token hygiene of the built relay (dist/server.js) as an operator runs it: `token` prints a token and
 * its sha256 line, RELAY_TOKENS_FILE holds only hashes, SIGHUP rotates and revokes without a restart,
 * a generated first-start token is stored 0600 and never printed, and no token or upstream key ever
 * appears in the relay's stdout or stderr.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type FakeOllama, startFakeOllama } from '../fakes/fakeOllama';
import { spawnTracked, type TrackedChild, waitUntil } from './helpers/processes';

const ROOT = resolve(__dirname, '../..');
const SERVER = join(ROOT, 'dist/server.js');
const UPSTREAM_KEY = 'upstream-key-never-printed-9d2e';

interface IssuedToken {
  token: string;
  digestHex: string;
  line: string;
}

function issueToken(): IssuedToken {
  const output = execFileSync(process.execPath, [SERVER, 'token'], { cwd: ROOT, timeout: 15_000, env: { PATH: process.env.PATH } }).toString('utf8');
  const token = /^\s+(aide_[A-Za-z0-9_-]+)\s*$/m.exec(output)?.[1];
  const line = /^\s+(\S+:sha256:[0-9a-f]{64})\s*$/m.exec(output)?.[1];
  assert.ok(token && line, `unexpected output of "server.js token":\n${output}`);
  const digestHex = /sha256:([0-9a-f]{64})$/.exec(line)?.[1] ?? '';
  return { token, digestHex, line };
}

function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** Starts dist/server.js with `env` and waits for the URL it announces on stderr. */
async function startBuiltRelay(env: Record<string, string>): Promise<{ relay: TrackedChild; url: string }> {
  const relay = spawnTracked(process.execPath, [SERVER], { cwd: ROOT, env: { PATH: process.env.PATH ?? '', PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'debug', ...env } });
  let url = '';
  try {
    await waitUntil(
      () => {
        if (relay.hasExited()) throw new Error(`relay exited early:\n${relay.output()}`);
        url = /listening on (https?:\/\/127\.0\.0\.1:\d+)/.exec(relay.output())?.[1] ?? '';
        return url !== '';
      },
      15_000,
      'the relay to announce its URL',
    );
  } catch (error) {
    await relay.stop(1_000);
    throw error;
  }
  return { relay, url };
}

async function statusWith(url: string, token: string): Promise<number> {
  const response = await fetch(`${url}/api/tags`, { headers: { Authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(5_000) });
  await response.text();
  return response.status;
}

describe('security: token hygiene of the built relay', function () {
  this.timeout(60_000);
  let workDir = '';
  let fake: FakeOllama;
  const children: TrackedChild[] = [];
  /** Every secret used in this suite; none may appear in any relay output. */
  const secrets: string[] = [UPSTREAM_KEY];

  before(async function () {
    this.timeout(90_000);
    execFileSync(process.execPath, ['esbuild.mjs', 'relay'], { cwd: ROOT, timeout: 60_000, stdio: 'pipe' });
    workDir = mkdtempSync(join(tmpdir(), 'aide-sec-tokens-'));
    fake = await startFakeOllama();
  });

  after(async () => {
    for (const child of children.splice(0)) await child.stop(2_000);
    await fake?.close();
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  });

  it('"server.js token" prints a fresh token and the sha256 line that matches it', () => {
    const first = issueToken();
    const second = issueToken();
    secrets.push(first.token, second.token);
    assert.notEqual(first.token, second.token);
    assert.match(first.token, /^aide_[A-Za-z0-9_-]{32}$/);
    assert.equal(first.digestHex, sha256Hex(first.token));
    assert.equal(second.digestHex, sha256Hex(second.token));
    assert.ok(!first.line.includes(first.token), 'the file line holds only the hash');
  });

  it('accepts a token from its sha256 line in RELAY_TOKENS_FILE, rotates it on SIGHUP, and keeps the old set when the new file is bad', async () => {
    const alice = issueToken();
    const bob = issueToken();
    secrets.push(alice.token, bob.token);
    const tokensFile = join(workDir, 'tokens');
    writeFileSync(tokensFile, `# editors allowed to use this relay\n${alice.line.replace(/^[^:]+:/, 'alice:')}\n`, { mode: 0o600 });
    const { relay, url } = await startBuiltRelay({ OLLAMA_HOST: fake.url, OLLAMA_API_KEY: UPSTREAM_KEY, RELAY_TOKENS_FILE: tokensFile, RELAY_DATA_DIR: join(workDir, 'data-rotate') });
    children.push(relay);

    assert.equal(await statusWith(url, alice.token), 200);
    assert.equal(await statusWith(url, bob.token), 401);
    // The relay speaks to Ollama with its own key, not with the editor's token.
    assert.equal(fake.requestsTo('/api/tags')[0]?.headers.authorization, `Bearer ${UPSTREAM_KEY}`);

    // Rotate: bob in, alice out, without a restart.
    writeFileSync(tokensFile, `${bob.line.replace(/^[^:]+:/, 'bob:')}\n`);
    relay.child.kill('SIGHUP');
    await waitUntil(async () => (await statusWith(url, bob.token)) === 200, 5_000, 'the new token to be accepted after SIGHUP');
    assert.equal(await statusWith(url, alice.token), 401, 'the revoked token still works');

    // A broken file must not lock everyone out: the previous tokens stay.
    writeFileSync(tokensFile, 'bob:sha256:not-a-digest\n');
    relay.child.kill('SIGHUP');
    await waitUntil(() => /reload failed/.test(relay.output()), 5_000, 'the relay to report the failed reload');
    assert.equal(await statusWith(url, bob.token), 200);
    assert.equal(await statusWith(url, alice.token), 401);
    assert.ok(relay.output().includes('RELAY_TOKENS_FILE'), 'the reload error names the variable');

    assert.equal(await relay.stop(5_000), 0, 'SIGTERM drains and exits 0');
  });

  it('stores a generated first-start token mode 0600, says where it is, and never prints it', async () => {
    const dataDir = join(workDir, 'data-generated');
    const { relay, url } = await startBuiltRelay({ OLLAMA_HOST: fake.url, RELAY_DATA_DIR: dataDir });
    children.push(relay);
    const tokenPath = join(dataDir, 'token');
    const token = readFileSync(tokenPath, 'utf8').trim();
    secrets.push(token);
    assert.equal(statSync(tokenPath).mode & 0o777, 0o600);
    assert.ok(relay.output().includes(tokenPath), 'the relay says where the token is');
    assert.equal(await statusWith(url, token), 200);
    assert.equal(await statusWith(url, `${token}x`), 401);
    assert.equal(await relay.stop(5_000), 0);
  });

  it('refuses to start open (RELAY_ALLOW_NO_AUTH=1) on a non-loopback HOST, naming the variable', async () => {
    const relay = spawnTracked(process.execPath, [SERVER], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', PORT: '0', HOST: '0.0.0.0', RELAY_ALLOW_NO_AUTH: '1', OLLAMA_HOST: fake.url, RELAY_DATA_DIR: join(workDir, 'data-open') },
    });
    children.push(relay);
    const code = await Promise.race([relay.exited, new Promise<string>((resolvePromise) => setTimeout(() => resolvePromise('still running'), 10_000))]);
    assert.equal(code, 2, relay.output());
    assert.match(relay.output(), /RELAY_ALLOW_NO_AUTH/);
    assert.doesNotMatch(relay.output(), /listening/);
  });

  it('never wrote a token or the upstream key to the relay output', () => {
    const outputs = children.map((child) => child.output()).join('\n');
    assert.ok(outputs.includes('listening'), 'the relays produced output');
    for (const secret of secrets) assert.ok(!outputs.includes(secret), `a secret (${secret.slice(0, 6)}…) appeared in the relay output`);
  });
});
