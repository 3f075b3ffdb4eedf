import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '../../server/config';
import { type FakeOllama, startFakeOllama } from '../fakes/fakeOllama';
import { makeDataDir } from '../support/relay';
import { ALICE, BOB, bearer, relayEnv, type RunningRelay, startRelayFor } from './helpers/harness';
import { isRecord, rawRequest } from './helpers/rawHttp';

function nativeError(body: string): string | undefined {
  const parsed: unknown = JSON.parse(body);
  return isRecord(parsed) && typeof parsed.error === 'string' ? parsed.error : undefined;
}

function openAiError(body: string): Record<string, unknown> | undefined {
  const parsed: unknown = JSON.parse(body);
  return isRecord(parsed) && isRecord(parsed.error) ? parsed.error : undefined;
}

/** Every regular file under a directory. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return filesUnder(path);
    return entry.isFile() ? [path] : [];
  });
}

describe('relay: authentication', () => {
  let fake: FakeOllama;
  let relay: RunningRelay;
  const extra: RunningRelay[] = [];
  const tmpDirs: string[] = [];

  before(async () => {
    fake = await startFakeOllama();
    relay = await startRelayFor(fake.url);
  });
  afterEach(async () => {
    fake.reset();
    await Promise.all(extra.splice(0).map((r) => r.close()));
    for (const dir of tmpDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  after(async () => {
    await relay.close();
    await fake.close();
  });

  describe('bearer tokens', () => {
    it('answers a native request without a token with 401 and {"error":…}, without calling Ollama', async () => {
      const res = await rawRequest(`${relay.url}/api/tags`);
      assert.equal(res.status, 401);
      assert.equal(typeof nativeError(res.body), 'string');
      assert.equal(fake.requestsTo('/api/tags').length, 0);
    });

    it('answers a wrong token with 401', async () => {
      const res = await rawRequest(`${relay.url}/api/tags`, { headers: bearer('tok-alice-124') });
      assert.equal(res.status, 401);
      assert.equal(typeof nativeError(res.body), 'string');
    });

    it('answers a token of another length and a non-Bearer scheme with 401', async () => {
      assert.equal((await rawRequest(`${relay.url}/api/tags`, { headers: bearer(`${ALICE}x`) })).status, 401);
      assert.equal((await rawRequest(`${relay.url}/api/tags`, { headers: { Authorization: `Basic ${Buffer.from(`alice:${ALICE}`).toString('base64')}` } })).status, 401);
      assert.equal((await rawRequest(`${relay.url}/api/tags`, { headers: { Authorization: ALICE } })).status, 401);
    });

    it('does not accept the token name as a token', async () => {
      assert.equal((await rawRequest(`${relay.url}/api/tags`, { headers: bearer('alice') })).status, 401);
    });

    it('answers /v1 without a token with 401 in the OpenAI error shape', async () => {
      const res = await rawRequest(`${relay.url}/v1/models`);
      assert.equal(res.status, 401);
      const error = openAiError(res.body);
      assert.ok(error, `OpenAI-shaped error expected, got ${res.body}`);
      assert.equal(typeof error.message, 'string');
      assert.equal(typeof error.type, 'string');
      assert.ok('code' in error);
    });

    it('accepts every name:token entry of RELAY_TOKENS', async () => {
      assert.equal((await rawRequest(`${relay.url}/api/tags`, { headers: bearer(ALICE) })).status, 200);
      assert.equal((await rawRequest(`${relay.url}/api/tags`, { headers: bearer(BOB) })).status, 200);
    });

    it('accepts a bare token entry', async () => {
      const bare = await startRelayFor(fake.url, { RELAY_TOKENS: 'bare-token-7890' });
      extra.push(bare);
      assert.equal((await rawRequest(`${bare.url}/api/version`, { headers: bearer('bare-token-7890') })).status, 200);
      assert.equal((await rawRequest(`${bare.url}/api/version`, { headers: bearer(ALICE) })).status, 401);
    });
  });

  describe('RELAY_TOKENS_FILE', () => {
    it('reads tokens one per line, skipping comments and blank lines, and accepts sha256 entries', async () => {
      const dir = makeDataDir();
      tmpDirs.push(dir);
      const file = join(dir, 'tokens.txt');
      const daveDigest = createHash('sha256').update('tok-dave-000', 'utf8').digest('hex');
      writeFileSync(
        file,
        ['# editors of the platform team', '', 'carol:tok-carol-789', `dave:sha256:${daveDigest}`, '# eve:tok-eve-commented', '   ', ''].join('\n'),
      );
      const fromFile = await startRelayFor(fake.url, { RELAY_TOKENS: undefined, RELAY_TOKENS_FILE: file }, dir);
      extra.push(fromFile);
      assert.equal((await rawRequest(`${fromFile.url}/api/version`, { headers: bearer('tok-carol-789') })).status, 200);
      assert.equal((await rawRequest(`${fromFile.url}/api/version`, { headers: bearer('tok-dave-000') })).status, 200);
      assert.equal((await rawRequest(`${fromFile.url}/api/version`, { headers: bearer(daveDigest) })).status, 401, 'the digest itself is not a token');
      assert.equal((await rawRequest(`${fromFile.url}/api/version`, { headers: bearer('tok-eve-commented') })).status, 401);
      assert.equal((await rawRequest(`${fromFile.url}/api/version`, { headers: bearer(ALICE) })).status, 401);
    });

    it('accepts a bare sha256 entry', async () => {
      const dir = makeDataDir();
      tmpDirs.push(dir);
      const file = join(dir, 'tokens.txt');
      writeFileSync(file, `sha256:${createHash('sha256').update('tok-frank-111', 'utf8').digest('hex')}\n`);
      const fromFile = await startRelayFor(fake.url, { RELAY_TOKENS: undefined, RELAY_TOKENS_FILE: file }, dir);
      extra.push(fromFile);
      assert.equal((await rawRequest(`${fromFile.url}/api/version`, { headers: bearer('tok-frank-111') })).status, 200);
    });
  });

  describe('first run without tokens', () => {
    it('generates one token in a mode-0600 file under RELAY_DATA_DIR and never logs the token', async () => {
      const first = await startRelayFor(fake.url, { RELAY_TOKENS: undefined });
      extra.push(first);
      const files = filesUnder(first.dataDir);
      const working: string[] = [];
      for (const file of files) {
        const candidate = readFileSync(file, 'utf8').trim();
        if (candidate.length < 8 || /\s/.test(candidate)) continue;
        const res = await rawRequest(`${first.url}/api/version`, { headers: bearer(candidate) });
        if (res.status === 200) working.push(file);
      }
      assert.equal(working.length, 1, `exactly one file under the data dir holds a working token (files: ${files.join(', ')})`);
      const tokenFile = working[0] ?? '';
      assert.equal(statSync(tokenFile).mode & 0o777, 0o600);
      const token = readFileSync(tokenFile, 'utf8').trim();
      assert.ok(!first.logs.text.includes(token), 'the token itself is never logged');
      assert.equal((await rawRequest(`${first.url}/api/version`)).status, 401, 'the relay is not open');
    });

    it('prints where the generated token is, and never the token, when started from the command line', async function () {
      this.timeout(20_000);
      const dataDir = makeDataDir();
      tmpDirs.push(dataDir);
      const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
        env: { PATH: process.env.PATH, HOME: process.env.HOME, PORT: '0', HOST: '127.0.0.1', OLLAMA_HOST: fake.url, RELAY_DATA_DIR: dataDir, LOG_LEVEL: 'info' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
      child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
      try {
        const deadline = Date.now() + 15_000;
        while (!/listening/i.test(output) || !filesUnder(dataDir).length) {
          if (Date.now() > deadline || child.exitCode !== null) assert.fail(`the relay did not start: ${output}`);
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
        const files = filesUnder(dataDir);
        const printed = files.filter((file) => output.includes(file));
        assert.equal(printed.length, 1, `the output names the token file (${files.join(', ')}):\n${output}`);
        const token = readFileSync(printed[0] ?? '', 'utf8').trim();
        assert.ok(token.length >= 16, 'a long random token');
        assert.ok(!output.includes(token), 'the token itself is never printed');
        const url = /(http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1];
        assert.ok(url, 'the URL is printed');
        assert.equal((await rawRequest(`${url}/api/version`, { headers: bearer(token) })).status, 200);
      } finally {
        child.kill('SIGTERM');
        await Promise.race([once(child, 'exit'), new Promise((resolve) => setTimeout(resolve, 3000))]);
      }
    });

    it('keeps the generated token across restarts with the same data directory', async () => {
      const dataDir = makeDataDir();
      try {
        const firstRun = await startRelayFor(fake.url, { RELAY_TOKENS: undefined }, dataDir);
        const tokens = filesUnder(dataDir).map((file) => readFileSync(file, 'utf8').trim());
        await firstRun.close();
        const secondRun = await startRelayFor(fake.url, { RELAY_TOKENS: undefined }, dataDir);
        try {
          const statuses = await Promise.all(tokens.map(async (token) => (await rawRequest(`${secondRun.url}/api/version`, { headers: bearer(token) })).status));
          assert.ok(statuses.includes(200), "the first run's token still works");
        } finally {
          await secondRun.close();
        }
      } finally {
        rmSync(dataDir, { recursive: true, force: true });
      }
    });
  });

  describe('RELAY_ALLOW_NO_AUTH', () => {
    it('serves without a token when set on a loopback HOST and no tokens are configured', async () => {
      const open = await startRelayFor(fake.url, { RELAY_TOKENS: undefined, RELAY_ALLOW_NO_AUTH: '1', HOST: '127.0.0.1' });
      extra.push(open);
      assert.equal((await rawRequest(`${open.url}/api/version`)).status, 200);
    });

    it('is a configuration error on a non-loopback HOST', () => {
      assert.throws(
        () => loadConfig(relayEnv(fake.url, '/nonexistent-data-dir', { RELAY_TOKENS: undefined, RELAY_ALLOW_NO_AUTH: '1', HOST: '0.0.0.0' })),
        (error: unknown) => error instanceof ConfigError && ['RELAY_ALLOW_NO_AUTH', 'HOST'].includes(error.variable),
      );
    });
  });

  describe('open routes', () => {
    it('serves GET / and HEAD / without a token, like Ollama', async () => {
      const get = await rawRequest(`${relay.url}/`);
      assert.equal(get.status, 200);
      assert.equal(get.body, 'Ollama is running');
      const head = await rawRequest(`${relay.url}/`, { method: 'HEAD' });
      assert.equal(head.status, 200);
      assert.equal(head.body, '');
    });

    it('serves /healthz and /readyz without a token', async () => {
      assert.equal((await rawRequest(`${relay.url}/healthz`)).status, 200);
      assert.equal((await rawRequest(`${relay.url}/readyz`)).status, 200);
    });

    it('requires a token for /metrics', async () => {
      assert.equal((await rawRequest(`${relay.url}/metrics`)).status, 401);
      assert.equal((await rawRequest(`${relay.url}/metrics`, { headers: bearer(ALICE) })).status, 200);
    });
  });
});
