import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { Ollama } from 'ollama';
import { FakeOllama, fakeReplyText, startFakeOllama } from '../fakes/fakeOllama';
import { isRecord, parseNdjson, rawRequest, stringField } from './helpers/rawHttp';

const CODER = 'qwen2.5-coder:1.5b';

function jsonPost(fake: FakeOllama, path: string, body: unknown, headers: Record<string, string> = {}): ReturnType<typeof rawRequest> {
  return rawRequest(`${fake.url}${path}`, { method: 'POST', body: JSON.stringify(body), headers: { 'Content-Type': 'application/json', ...headers } });
}

describe('fake Ollama', () => {
  let fake: FakeOllama;

  before(async () => {
    fake = await startFakeOllama();
  });
  afterEach(() => fake.reset());
  after(() => fake.close());

  describe('routes', () => {
    it('answers GET / with "Ollama is running" and HEAD / with an empty 200', async () => {
      const get = await rawRequest(`${fake.url}/`);
      assert.equal(get.status, 200);
      assert.equal(get.body, 'Ollama is running');
      const head = await rawRequest(`${fake.url}/`, { method: 'HEAD' });
      assert.equal(head.status, 200);
      assert.equal(head.body, '');
    });

    it('lists models with family and capabilities and reports the context length in /api/show', async () => {
      const ollama = new Ollama({ host: fake.url });
      const tags = await ollama.list();
      const coder = tags.models.find((m) => m.name === CODER);
      assert.ok(coder, 'qwen2.5-coder is listed');
      assert.equal(coder.details.family, 'qwen2');
      const show = await ollama.show({ model: CODER });
      assert.deepEqual(show.capabilities, ['completion', 'insert']);
      assert.match(show.template, /\.Suffix/);
      assert.match(show.parameters, /stop\s+"<\|fim_prefix\|>"/);
      // ollama-js types model_info as a Map but it is a plain JSON object on the wire.
      const raw: unknown = JSON.parse((await jsonPost(fake, '/api/show', { model: CODER })).body);
      assert.ok(isRecord(raw) && isRecord(raw.model_info));
      assert.equal(raw.model_info['general.architecture'], 'qwen2');
      assert.equal(raw.model_info['qwen2.context_length'], 32768);
    });

    it('answers 404 with Ollama\'s message for an unknown model in /api/show', async () => {
      const res = await jsonPost(fake, '/api/show', { model: 'nope:1b' });
      assert.equal(res.status, 404);
      assert.deepEqual(JSON.parse(res.body), { error: "model 'nope:1b' not found" });
    });

    it('answers 405 for a wrong method on a known path and 404 for an unknown path', async () => {
      assert.equal((await rawRequest(`${fake.url}/api/chat`)).status, 405);
      const unknown = await rawRequest(`${fake.url}/api/nothing-here`);
      assert.equal(unknown.status, 404);
      assert.equal(unknown.body, '404 page not found');
    });

    it('refuses a public Host with 403 and an empty body, but accepts loopback and localhost', async () => {
      const publicHost = await rawRequest(`${fake.url}/api/version`, { headers: { Host: 'relay.example.com' } });
      assert.equal(publicHost.status, 403);
      assert.equal(publicHost.body, '');
      assert.equal((await rawRequest(`${fake.url}/api/version`, { headers: { Host: 'localhost:11434' } })).status, 200);
      assert.equal((await rawRequest(`${fake.url}/api/version`, { headers: { Host: '10.1.2.3:11434' } })).status, 200);
    });

    it('refuses a foreign Origin with 403 and an empty body, but allows vscode-webview origins', async () => {
      const foreign = await rawRequest(`${fake.url}/api/tags`, { headers: { Origin: 'https://evil.example' } });
      assert.equal(foreign.status, 403);
      assert.equal(foreign.body, '');
      assert.equal((await rawRequest(`${fake.url}/api/tags`, { headers: { Origin: 'vscode-webview://abc' } })).status, 200);
    });

    it('records admin routes when they are hit', async () => {
      await jsonPost(fake, '/api/pull', { model: CODER });
      await rawRequest(`${fake.url}/api/delete`, { method: 'DELETE', body: JSON.stringify({ model: CODER }) });
      assert.equal(fake.stats.adminRequests, 2);
    });

    it('has no control routes unless enabled', async () => {
      assert.equal((await rawRequest(`${fake.url}/_fake/stats`)).status, 404);
    });
  });

  describe('generate and chat', () => {
    it('streams generate as NDJSON ending with a done record that has durations, counts and context', async () => {
      const res = await jsonPost(fake, '/api/generate', { model: CODER, prompt: 'hello world' });
      assert.equal(res.status, 200);
      assert.equal(res.headers['content-type'], 'application/x-ndjson');
      assert.ok(res.body.endsWith('}\n'));
      const lines = parseNdjson(res.body);
      const last = lines.at(-1);
      assert.ok(isRecord(last));
      assert.equal(last.done, true);
      assert.equal(last.done_reason, 'stop');
      assert.ok(Array.isArray(last.context));
      assert.equal(typeof last.total_duration, 'number');
      assert.equal(last.eval_count, lines.length - 1);
      assert.equal(lines.map((l) => stringField(l, 'response') ?? '').join(''), fakeReplyText('hello world'));
    });

    it('omits context in raw mode and answers stream:false with one aggregated object', async () => {
      const res = await jsonPost(fake, '/api/generate', { model: CODER, prompt: 'x y', raw: true, stream: false });
      const body: unknown = JSON.parse(res.body);
      assert.ok(isRecord(body));
      assert.equal(body.response, fakeReplyText('x y'));
      assert.equal(body.done, true);
      assert.equal('context' in body, false);
    });

    it('answers an empty prompt with a load record', async () => {
      const res = await jsonPost(fake, '/api/generate', { model: CODER, prompt: '' });
      const body: unknown = JSON.parse(res.body);
      assert.ok(isRecord(body));
      assert.equal(body.done_reason, 'load');
      assert.equal(fake.stats.generationsStarted, 0);
    });

    it('refuses suffix on a model without insert, raw with system, a missing model, bad JSON and an unknown model', async () => {
      const insert = await jsonPost(fake, '/api/generate', { model: 'codellama:7b-code', prompt: 'a', suffix: 'b' });
      assert.equal(insert.status, 400);
      assert.deepEqual(JSON.parse(insert.body), { error: 'registry.ollama.ai/library/codellama:7b-code does not support insert' });
      const raw = await jsonPost(fake, '/api/generate', { model: CODER, prompt: 'a', raw: true, system: 's' });
      assert.equal(raw.status, 400);
      assert.deepEqual(JSON.parse(raw.body), { error: 'raw mode does not support template, system, or context' });
      const missing = await jsonPost(fake, '/api/chat', { messages: [] });
      assert.deepEqual([missing.status, JSON.parse(missing.body)], [400, { error: 'model is required' }]);
      const bad = await rawRequest(`${fake.url}/api/chat`, { method: 'POST', body: '{nope' });
      assert.equal(bad.status, 400);
      const unknown = await jsonPost(fake, '/api/chat', { model: 'ghost:7b', messages: [{ role: 'user', content: 'hi' }] });
      assert.deepEqual([unknown.status, JSON.parse(unknown.body)], [404, { error: "model 'ghost:7b' not found" }]);
      assert.equal(fake.stats.generationsStarted, 0);
    });

    it('streams chat through the real ollama client, echoing the last user message with multi-byte tokens', async () => {
      const ollama = new Ollama({ host: fake.url });
      const stream = await ollama.chat({ model: 'llama3.2:1b', messages: [{ role: 'user', content: 'ça va?' }], stream: true });
      let text = '';
      let done = false;
      for await (const part of stream) {
        text += part.message.content;
        done = part.done;
      }
      assert.equal(text, fakeReplyText('ça va?'));
      assert.match(text, /🦙/);
      assert.equal(done, true);
    });
  });

  describe('knobs', () => {
    it('splits lines at awkward byte offsets, inside code points, and coalesces lines, without changing the bytes', async () => {
      fake.behave({ splitChunks: true, tokens: 12 });
      const res = await jsonPost(fake, '/api/generate', { model: CODER, prompt: 'split me' });
      const lines = parseNdjson(res.body);
      assert.equal(lines.map((l) => stringField(l, 'response') ?? '').join(''), fakeReplyText('split me', 12));
      const insideCodePoint = res.chunks.some((c, i) => i > 0 && ((c.bytes[0] ?? 0) & 0xc0) === 0x80);
      const severalLines = res.chunks.some((c) => c.bytes.toString('latin1').split('\n').length > 2);
      const partialLine = res.chunks.some((c) => !c.bytes.toString('latin1').endsWith('\n'));
      assert.ok(res.chunks.length > lines.length, `expected more writes than lines, got ${res.chunks.length} for ${lines.length}`);
      assert.ok(insideCodePoint, 'a chunk starts inside a UTF-8 code point');
      assert.ok(severalLines, 'a chunk carries more than one line');
      assert.ok(partialLine, 'a chunk ends mid-line');
    });

    it('keeps split streams readable by the real ollama client', async () => {
      fake.behave({ splitChunks: true });
      const ollama = new Ollama({ host: fake.url });
      const stream = await ollama.generate({ model: CODER, prompt: 'éé €€', stream: true });
      let text = '';
      for await (const part of stream) text += part.response;
      assert.equal(text, fakeReplyText('éé €€'));
    });

    it('writes one error line and no done record after errorAfterTokens', async () => {
      fake.behave({ errorAfterTokens: 2, errorMessage: 'boom' });
      const res = await jsonPost(fake, '/api/chat', { model: CODER, messages: [{ role: 'user', content: 'hi there' }] });
      const lines = parseNdjson(res.body);
      assert.equal(lines.length, 3);
      assert.deepEqual(lines[2], { error: 'boom' });
      assert.equal(fake.stats.generationsFailed, 1);
      const ollama = new Ollama({ host: fake.url });
      await assert.rejects(async () => {
        for await (const part of await ollama.chat({ model: CODER, messages: [{ role: 'user', content: 'x' }], stream: true })) void part;
      }, /boom/);
    });

    it('answers errorBeforeStream with that status and message, and applies model knobs to that model only', async () => {
      fake.behave({ errorBeforeStream: { status: 500, message: 'kaput' } }, 'llama3.2:1b');
      const broken = await jsonPost(fake, '/api/generate', { model: 'llama3.2:1b', prompt: 'a' });
      assert.deepEqual([broken.status, JSON.parse(broken.body)], [500, { error: 'kaput' }]);
      const fine = await jsonPost(fake, '/api/generate', { model: CODER, prompt: 'a' });
      assert.equal(fine.status, 200);
    });

    it('drops the connection after dropAfterTokens and writes a non-JSON line after malformedAfterTokens', async () => {
      fake.behave({ dropAfterTokens: 2 });
      const dropped = await jsonPost(fake, '/api/generate', { model: CODER, prompt: 'a b c' });
      assert.equal(dropped.aborted, true);
      assert.equal(dropped.body.split('\n').filter(Boolean).length, 2);
      fake.reset();
      fake.behave({ malformedAfterTokens: 1 });
      const malformed = await jsonPost(fake, '/api/generate', { model: CODER, prompt: 'a b c' });
      const lines = malformed.body.split('\n').filter(Boolean);
      assert.throws(() => JSON.parse(lines[1] ?? ''));
    });

    it('delays the headers by firstTokenDelayMs and loadDelayMs and reports load_duration', async () => {
      fake.behave({ firstTokenDelayMs: 100, loadDelayMs: 150 });
      const sent = Date.now();
      const res = await jsonPost(fake, '/api/generate', { model: CODER, prompt: 'cold', stream: false });
      const body: unknown = JSON.parse(res.body);
      assert.ok(isRecord(body));
      assert.ok((res.chunks[0]?.at ?? 0) - sent >= 240, 'first byte after the load and first-token delays');
      assert.equal(body.load_duration, 150_000_000);
    });
  });

  describe('disconnects', () => {
    it('stops generating when the client disconnects mid-stream', async () => {
      fake.behave({ tokens: 200, tokenDelayMs: 10 });
      const controller = new AbortController();
      let seen = 0;
      await rawRequest(`${fake.url}/api/generate`, {
        method: 'POST',
        body: JSON.stringify({ model: CODER, prompt: 'long' }),
        signal: controller.signal,
        onChunk: () => {
          seen += 1;
          if (seen === 3) controller.abort();
        },
      }).catch(() => undefined);
      await fake.waitFor((f) => f.stats.generationsAborted === 1, 2000, 'the generation to abort');
      const producedAtAbort = fake.stats.tokensProduced;
      await new Promise((resolve) => setTimeout(resolve, 60));
      assert.equal(fake.stats.tokensProduced, producedAtAbort, 'no tokens after the disconnect');
      assert.ok(producedAtAbort < 20);
      assert.equal(fake.stats.tokensAfterClientGone, 0);
      assert.equal(fake.stats.activeGenerations, 0);
      assert.equal(fake.requestsTo('/api/generate')[0]?.closedEarly, true);
    });

    it('stops a request that hangs before headers when the client gives up', async () => {
      fake.behave({ hangBeforeHeaders: true });
      const controller = new AbortController();
      const pending = rawRequest(`${fake.url}/api/chat`, { method: 'POST', body: JSON.stringify({ model: CODER, messages: [] }), signal: controller.signal });
      await fake.waitFor((f) => f.requests.length === 1, 2000, 'the request to arrive');
      controller.abort();
      await assert.rejects(pending);
      await fake.waitFor((f) => f.requests[0]?.closedEarly === true, 2000, 'the request to close');
    });

    it('counts tokens for nobody when the far client is declared gone and the stream keeps going', async () => {
      fake.behave({ tokens: 30, tokenDelayMs: 5 });
      const res = jsonPost(fake, '/api/generate', { model: CODER, prompt: 'nobody' });
      await fake.waitFor((f) => f.stats.tokensProduced > 0, 2000, 'the first token');
      fake.markClientGone(0);
      await res;
      assert.ok(fake.stats.tokensAfterClientGone > 0);
    });
  });

  describe('command line', () => {
    it('prints its URL and obeys the control routes', async function () {
      this.timeout(15_000);
      const child = spawn(process.execPath, ['--import', 'tsx', 'test/fakes/fakeOllamaCli.ts', '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
      try {
        const lines = createInterface({ input: child.stdout });
        const urlLine = await Promise.race([
          once(lines, 'line').then(([line]: unknown[]) => String(line)),
          new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no URL within 10 s')), 10_000)),
        ]);
        const match = /^FAKE_OLLAMA_URL=(http:\/\/127\.0\.0\.1:\d+)$/.exec(urlLine);
        assert.ok(match?.[1], `unexpected first line ${urlLine}`);
        const url = match[1];
        const behave = await rawRequest(`${url}/_fake/behave`, { method: 'POST', body: JSON.stringify({ model: CODER, tokens: 2 }) });
        assert.equal(behave.status, 200);
        const rejected = await rawRequest(`${url}/_fake/behave`, { method: 'POST', body: JSON.stringify({ tokens: 'many' }) });
        assert.equal(rejected.status, 400);
        const gen = await rawRequest(`${url}/api/generate`, { method: 'POST', body: JSON.stringify({ model: CODER, prompt: 'a b c', stream: false }) });
        assert.equal(stringField(JSON.parse(gen.body), 'response'), fakeReplyText('a b c', 2));
        const stats: unknown = JSON.parse((await rawRequest(`${url}/_fake/stats`)).body);
        assert.ok(isRecord(stats) && isRecord(stats.stats) && Array.isArray(stats.requests));
        assert.equal(stats.stats.generationsCompleted, 1);
        assert.equal(stringField(stats.requests[0], 'path'), '/api/generate');
        assert.equal((await rawRequest(`${url}/_fake/reset`, { method: 'POST' })).status, 200);
      } finally {
        child.kill('SIGTERM');
      }
    });
  });
});
