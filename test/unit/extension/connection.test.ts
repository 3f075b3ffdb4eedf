import './.setup';
import { strict as assert } from 'node:assert';
import * as http from 'node:http';
import { probeConnection } from '../../../extension/common/connectionProbe';
import { TOKEN_HINT } from '../../../extension/common/errors';
import { RELAY_TOKEN_SECRET_KEY } from '../../../extension/common/ids';
import { activate } from '../../../extension/extension';
import { fake } from '../../fakes/vscode';
import { startFakeOllama, type FakeOllama } from '../../fakes/fakeOllama';

interface TinyRelay {
  url: string;
  authorizations: Array<string | undefined>;
  close(): Promise<void>;
}

/** A stand-in relay: `GET /` answers like Ollama, the API answers `status` with a native error body. */
async function startTinyRelay(status: number, error: string, acceptToken?: string): Promise<TinyRelay> {
  const authorizations: Array<string | undefined> = [];
  const server = http.createServer((req, res) => {
    authorizations.push(req.headers.authorization);
    if (req.url === '/') {
      res.writeHead(200, { 'Content-Type': 'text/plain' }).end('Ollama is running');
      return;
    }
    if (acceptToken && req.headers.authorization === `Bearer ${acceptToken}`) {
      const body = req.url === '/api/version' ? { version: '0.9.0' } : { models: [{ name: 'llama3.2:1b', model: 'llama3.2:1b' }] };
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
      return;
    }
    res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify({ error }));
  });
  server.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const address = server.address();
  assert.ok(address !== null && typeof address === 'object');
  return {
    url: `http://127.0.0.1:${address.port}`,
    authorizations,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Keep-alive sockets from fetch would otherwise hold the server open for seconds.
        server.closeAllConnections();
      }),
  };
}

describe('connection probe', () => {
  let ollama: FakeOllama;

  before(async () => {
    ollama = await startFakeOllama({ version: '0.9.0' });
  });

  after(async () => {
    await ollama.close();
  });

  it('reports a working plain Ollama (no token) with its version and models', async () => {
    const report = await probeConnection({ url: ollama.url }, { chat: 'llama3.2:1b', completion: 'qwen2.5-coder:1.5b' }, new AbortController().signal);
    assert.equal(report.ok, true, report.summary);
    assert.match(report.summary, new RegExp(`^Connected to ${ollama.url}: Ollama 0\\.9\\.0, 5 model\\(s\\) available$`));
    assert.deepEqual(report.steps.map((s) => [s.name, s.ok]), [
      ['reachable', true],
      ['version', true],
      ['models', true],
      ['chat model', true],
      ['completion model', true],
    ]);
  });

  it('names a chosen model that is not installed', async () => {
    const report = await probeConnection({ url: ollama.url }, { chat: 'llama3.2:1b', completion: 'starcoder2:3b' }, new AbortController().signal);
    assert.equal(report.ok, false);
    assert.equal(report.summary, "Model 'starcoder2:3b' is not installed on the Ollama host");
  });

  it('accepts a model named without its :latest tag', async () => {
    const report = await probeConnection({ url: ollama.url }, { chat: 'nomic-embed-text' }, new AbortController().signal);
    assert.equal(report.ok, true, report.summary);
  });

  it('says the relay is unreachable when nothing listens', async () => {
    const gone = await startTinyRelay(200, '');
    await gone.close();
    const report = await probeConnection({ url: gone.url }, {}, new AbortController().signal);
    assert.equal(report.summary, `Relay unreachable at ${gone.url} (ECONNREFUSED)`);
    assert.deepEqual(report.steps.map((s) => s.name), ['reachable']);
  });

  it('says the token is wrong or missing on a 401', async () => {
    const relay = await startTinyRelay(401, 'missing or invalid relay token');
    try {
      const report = await probeConnection({ url: relay.url, token: 'nope' }, {}, new AbortController().signal);
      assert.equal(report.summary, TOKEN_HINT);
      assert.equal(relay.authorizations[0], undefined, 'GET / goes without the token');
      assert.equal(relay.authorizations[1], 'Bearer nope', 'the API is asked with it');
    } finally {
      await relay.close();
    }
  });

  it('says Ollama is down behind a working relay on a 503', async () => {
    const relay = await startTinyRelay(503, 'no upstream available');
    try {
      const report = await probeConnection({ url: relay.url, token: 't' }, {}, new AbortController().signal);
      assert.equal(report.summary, 'Relay is up but Ollama is down (503: no upstream available)');
    } finally {
      await relay.close();
    }
  });
});

describe('relay token and connection commands', () => {
  let relay: TinyRelay;

  beforeEach(async () => {
    relay = await startTinyRelay(401, 'missing or invalid relay token', 's3cret-token');
    fake.reset();
    fake.configuration.set('aide.relay.url', relay.url);
  });

  afterEach(async () => {
    await relay.close();
  });

  it('Set Relay Token asks with a password box, stores the token in secret storage only, and says so', async () => {
    const context = fake.createExtensionContext();
    await activate(context);
    try {
      fake.ui.respondToInput = () => '  s3cret-token  ';
      await fake.commands.get('aide.setRelayToken')?.();
      const [box] = fake.ui.inputBoxes;
      assert.equal(box?.password, true);
      assert.match(box?.prompt ?? '', /relay/i);
      assert.equal(context.secrets.values.get(RELAY_TOKEN_SECRET_KEY), 's3cret-token');
      assert.ok(fake.ui.messages.some((m) => m.severity === 'info' && m.message.includes('Relay token saved')));
      for (const key of ['aide.relay.url', 'aide.chat.model', 'aide.completion.model']) {
        assert.ok(!String(fake.configuration.value(key)).includes('s3cret'), `${key} holds no token`);
      }
      assert.ok(!fake.log.lines.some((line) => line.includes('s3cret')), 'the token is never logged');
    } finally {
      context.dispose();
    }
  });

  it('cancelling the input box stores nothing', async () => {
    const context = fake.createExtensionContext();
    await activate(context);
    try {
      await fake.commands.get('aide.setRelayToken')?.();
      assert.equal(context.secrets.values.size, 0);
      assert.equal(fake.ui.messages.length, 0);
    } finally {
      context.dispose();
    }
  });

  it('Test Connection uses the stored token, and Sign Out removes it', async () => {
    const context = fake.createExtensionContext();
    await context.secrets.store(RELAY_TOKEN_SECRET_KEY, 's3cret-token');
    await activate(context);
    try {
      await fake.commands.get('aide.testConnection')?.();
      const ok = fake.ui.messages.at(-1);
      assert.equal(ok?.severity, 'info');
      assert.match(ok?.message ?? '', /Connected to .*Ollama 0\.9\.0, 1 model/);
      assert.ok(relay.authorizations.includes('Bearer s3cret-token'));

      await fake.commands.get('aide.signOut')?.();
      assert.equal(context.secrets.values.size, 0);
      await fake.commands.get('aide.testConnection')?.();
      const failed = fake.ui.messages.at(-1);
      assert.equal(failed?.severity, 'error');
      assert.equal(failed?.message, `AIDE: ${TOKEN_HINT}`);
      assert.deepEqual(failed?.items, ['Set Relay Token', 'Show Logs']);
    } finally {
      context.dispose();
    }
  });

  it('picks up a token stored by another window through the secret storage change event', async () => {
    const context = fake.createExtensionContext();
    await activate(context);
    try {
      await context.secrets.store(RELAY_TOKEN_SECRET_KEY, 's3cret-token');
      // The change event makes the connection re-read the secret; that read settles within a turn.
      await new Promise((resolve) => setImmediate(resolve));
      await fake.commands.get('aide.testConnection')?.();
      assert.equal(fake.ui.messages.at(-1)?.severity, 'info');
    } finally {
      context.dispose();
    }
  });
});
