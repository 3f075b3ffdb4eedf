import assert from 'node:assert/strict';
import type { ChatRequest, GenerateRequest } from 'ollama';
import { fakeEmbedding, fakeReplyText, type FakeOllama, type RecordedRequest, startFakeOllama } from '../fakes/fakeOllama';
import {
  ALICE,
  bearer,
  CHAT,
  CODER,
  EMBEDDER,
  ollamaClient,
  startRelayFor,
  statusOf,
  THINKER,
} from './helpers/harness';
import { useRig } from './helpers/useRig';
import { isRecord, parseNdjson, rawRequest, stringField } from './helpers/rawHttp';

function lastRequest(fake: FakeOllama, path: string): RecordedRequest {
  const request = fake.requestsTo(path).at(-1);
  assert.ok(request, `Ollama received no request for ${path}; it saw ${JSON.stringify(fake.summary().requests)}`);
  return request;
}

/** Requests Ollama received that name `model`. */
function requestsNaming(fake: FakeOllama, model: string): RecordedRequest[] {
  return fake.requests.filter((r) => isRecord(r.body) && (r.body.model === model || r.body.name === model));
}

function post(url: string, path: string, body: unknown, headers: Record<string, string> = bearer(ALICE)): ReturnType<typeof rawRequest> {
  return rawRequest(`${url}${path}`, { method: 'POST', body: JSON.stringify(body), headers: { 'Content-Type': 'application/json', ...headers } });
}

describe('relay: Ollama-native routes', () => {
  const rig = useRig();

  describe('pass-through with the ollama client', () => {
    it('streams a chat reply token by token', async () => {
      const stream = await ollamaClient(rig.url).chat({ model: CHAT, messages: [{ role: 'user', content: 'stream a chat ✓' }], stream: true });
      const parts: string[] = [];
      let done = false;
      for await (const part of stream) {
        parts.push(part.message.content);
        done = part.done;
      }
      assert.equal(parts.join(''), fakeReplyText('stream a chat ✓'));
      assert.ok(parts.length > 3, 'more than one chunk');
      assert.equal(done, true);
    });

    it('returns a non-streaming chat reply in one object', async () => {
      const reply = await ollamaClient(rig.url).chat({ model: CHAT, messages: [{ role: 'user', content: 'whole chat' }] });
      assert.equal(reply.message.content, fakeReplyText('whole chat'));
      assert.equal(reply.done, true);
      assert.equal(lastRequest(rig.fake, '/api/chat').headers['content-type'], 'application/json');
    });

    it('streams and returns generate replies', async () => {
      const client = ollamaClient(rig.url);
      let streamed = '';
      for await (const part of await client.generate({ model: CODER, prompt: 'generate streamed', stream: true })) streamed += part.response;
      assert.equal(streamed, fakeReplyText('generate streamed'));
      const whole = await client.generate({ model: CODER, prompt: 'generate whole' });
      assert.equal(whole.response, fakeReplyText('generate whole'));
      assert.ok(Array.isArray(whole.context), 'Ollama\'s context passes through');
    });

    it('passes every generate field to Ollama unchanged (suffix, images, format, keep_alive, options)', async () => {
      const request: GenerateRequest & { stream: false } = {
        model: CODER,
        prompt: 'def add(a, b):\n    ',
        suffix: '\n\nprint(add(1, 2))  # ünïcode €',
        images: ['aGVsbG8gd29ybGQ='],
        format: { type: 'object', properties: { code: { type: 'string' } }, required: ['code'] },
        keep_alive: '10m',
        options: { temperature: 0.2, top_p: 0.9, num_ctx: 4096, num_predict: 64, stop: ['<|endoftext|>', '\n\n'], repeat_penalty: 1.1 },
        stream: false,
      };
      await ollamaClient(rig.url).generate(request);
      assert.deepEqual(lastRequest(rig.fake, '/api/generate').body, request);
    });

    it('passes raw mode and omits nothing Ollama needs', async () => {
      const request: GenerateRequest & { stream: true } = {
        model: CODER,
        prompt: '<|fim_prefix|>const x = <|fim_suffix|>;\n<|fim_middle|>',
        raw: true,
        options: { stop: ['<|fim_prefix|>', '<|fim_suffix|>', '<|fim_middle|>', '<|endoftext|>'], num_predict: 32, temperature: 0.1 },
        stream: true,
      };
      let final: unknown;
      for await (const part of await ollamaClient(rig.url).generate(request)) final = part;
      assert.deepEqual(lastRequest(rig.fake, '/api/generate').body, request);
      assert.ok(isRecord(final) && !('context' in final), 'raw mode has no context');
    });

    it('passes chat tools, think, format, images and keep_alive unchanged', async () => {
      const request: ChatRequest & { stream: true } = {
        model: THINKER,
        messages: [
          { role: 'system', content: 'You are terse.' },
          { role: 'user', content: 'what is in this picture?', images: ['aW1hZ2UgYnl0ZXM='] },
        ],
        tools: [
          {
            type: 'function',
            function: { name: 'get_weather', description: 'Weather for a city', parameters: { type: 'object', properties: { city: { type: 'string', description: 'City' } }, required: ['city'] } },
          },
        ],
        think: true,
        format: 'json',
        keep_alive: 300,
        options: { seed: 7, num_ctx: 8192 },
        stream: true,
      };
      let thinking = '';
      let content = '';
      for await (const part of await ollamaClient(rig.url).chat(request)) {
        thinking += part.message.thinking ?? '';
        content += part.message.content;
      }
      assert.deepEqual(lastRequest(rig.fake, '/api/chat').body, request);
      assert.ok(thinking.length > 0, 'thinking chunks pass through');
      assert.equal(content, fakeReplyText('what is in this picture?'));
    });

    it('passes think levels and unknown future fields unchanged', async () => {
      const request = { model: THINKER, prompt: 'levels', think: 'low', truncate: false, shift: true, logprobs: true, top_logprobs: 3, x_future: { a: [1, 2.5] } };
      const res = await post(rig.url, '/api/generate', request);
      assert.equal(res.status, 200);
      assert.deepEqual(lastRequest(rig.fake, '/api/generate').body, request);
    });

    it('forwards the request body byte for byte', async () => {
      const body = '{ "model":"qwen2.5-coder:1.5b" ,"prompt":"caf\\u00e9 \\ud83e\\udd99 bytes",\n "stream":false, "options":{"temperature":0.70, "num_ctx":2048}}';
      const res = await rawRequest(`${rig.url}/api/generate`, { method: 'POST', body, headers: { ...bearer(ALICE), 'Content-Type': 'application/json' } });
      assert.equal(res.status, 200);
      assert.equal(lastRequest(rig.fake, '/api/generate').rawBody, body);
    });
  });

  describe('upstream request headers', () => {
    it('sends the upstream Host, drops the client Origin and never forwards the client token', async () => {
      const res = await post(rig.url, '/api/generate', { model: CODER, prompt: 'headers check', stream: false }, {
        ...bearer(ALICE),
        Host: 'relay.example.com',
        Origin: 'https://evil.example',
      });
      assert.equal(res.status, 200, `the fake refuses a public Host or a foreign Origin with 403; got ${res.status} ${res.body}`);
      const seen = lastRequest(rig.fake, '/api/generate').headers;
      assert.equal(seen.host, new URL(rig.fake.url).host);
      assert.equal(seen.origin, undefined);
      assert.equal(seen.authorization, undefined);
      assert.ok(!JSON.stringify(seen).includes(ALICE), 'the relay token appears in no upstream header');
    });

    it('sends OLLAMA_API_KEY upstream as a Bearer token instead of the client token', async () => {
      const keyed = await startRelayFor(rig.fake.url, { OLLAMA_API_KEY: 'upstream-key-5f2a9' });
      try {
        const res = await post(keyed.url, '/api/generate', { model: CODER, prompt: 'keyed', stream: false });
        assert.equal(res.status, 200);
        assert.equal(lastRequest(rig.fake, '/api/generate').headers.authorization, 'Bearer upstream-key-5f2a9');
        assert.ok(!res.body.includes('upstream-key-5f2a9'));
      } finally {
        await keyed.close();
      }
    });

    it('sends userinfo of the upstream URL as Basic auth and not in the Host', async () => {
      const upstream = new URL(rig.fake.url);
      upstream.username = 'ollama';
      upstream.password = 'p@ss:word';
      const basic = await startRelayFor(upstream.toString().replace(/\/$/, ''));
      try {
        const res = await post(basic.url, '/api/generate', { model: CODER, prompt: 'basic', stream: false });
        assert.equal(res.status, 200);
        const seen = lastRequest(rig.fake, '/api/generate').headers;
        assert.equal(seen.authorization, `Basic ${Buffer.from('ollama:p@ss:word').toString('base64')}`);
        assert.equal(seen.host, new URL(rig.fake.url).host);
      } finally {
        await basic.close();
      }
    });
  });

  describe('streaming', () => {
    it('delivers NDJSON incrementally: the first token arrives before Ollama has finished', async () => {
      rig.fake.behave({ tokens: 8, tokenDelayMs: 120 });
      let firstTokenAt = 0;
      let finishedWhenFirstArrived = true;
      const started = Date.now();
      const res = await rawRequest(`${rig.url}/api/generate`, {
        method: 'POST',
        body: JSON.stringify({ model: CODER, prompt: 'slow stream' }),
        headers: bearer(ALICE),
        onChunk: () => {
          if (firstTokenAt !== 0) return;
          firstTokenAt = Date.now();
          finishedWhenFirstArrived = rig.fake.stats.generationsCompleted > 0;
        },
      });
      assert.equal(res.status, 200);
      assert.equal(finishedWhenFirstArrived, false, 'the first chunk reached the client while Ollama was still generating');
      assert.ok(firstTokenAt - started < 600, `first chunk after ${firstTokenAt - started} ms, the stream takes ~840 ms`);
      const arrivals = new Set(res.chunks.map((c) => Math.floor((c.at - started) / 60)));
      assert.ok(arrivals.size >= 5, `chunks spread over time, not buffered (${arrivals.size} distinct arrival slots)`);
      const lines = parseNdjson(res.body);
      assert.equal(lines.map((l) => stringField(l, 'response') ?? '').join(''), fakeReplyText('slow stream', 8));
    });

    it('keeps split upstream chunks intact, including code points cut in half', async () => {
      rig.fake.behave({ splitChunks: true, tokens: 15 });
      const res = await post(rig.url, '/api/chat', { model: CHAT, messages: [{ role: 'user', content: 'splitté 🦙' }] });
      const lines = parseNdjson(res.body);
      const content = lines.map((l) => (isRecord(l) && isRecord(l.message) ? String(l.message.content) : '')).join('');
      assert.equal(content, fakeReplyText('splitté 🦙', 15));
      assert.ok(!res.body.includes('\uFFFD'), 'no replacement characters');
    });

    it('labels the stream application/x-ndjson with no-store, no proxy buffering and Server-Timing', async () => {
      const res = await post(rig.url, '/api/chat', { model: CHAT, messages: [{ role: 'user', content: 'headers' }] });
      assert.equal(res.status, 200);
      assert.match(String(res.headers['content-type']), /^application\/x-ndjson/);
      assert.equal(res.headers['x-accel-buffering'], 'no');
      assert.match(String(res.headers['cache-control']), /no-store/);
      assert.match(String(res.headers['server-timing']), /dur=\d/);
    });

    it('adds a relay object to the final record, keeping Ollama\'s durations and counts', async () => {
      const res = await post(rig.url, '/api/generate', { model: CODER, prompt: 'final record' });
      const lines = parseNdjson(res.body);
      const last = lines.at(-1);
      assert.ok(isRecord(last) && last.done === true);
      assert.ok(isRecord(last.relay), `final record carries relay: ${JSON.stringify(last)}`);
      assert.equal(typeof last.relay.upstream, 'string');
      assert.equal(typeof last.relay.queue_ms, 'number');
      assert.equal(typeof last.relay.ttft_ms, 'number');
      assert.equal(typeof last.relay.cache, 'string');
      assert.ok(!String(last.relay.upstream).includes('@'), 'no credentials in the upstream name');
      assert.equal(typeof last.total_duration, 'number');
      assert.equal(typeof last.eval_count, 'number');
      assert.equal(last.done_reason, 'stop');
      for (const line of lines.slice(0, -1)) assert.ok(isRecord(line) && !('relay' in line), 'only the final record carries relay');
    });

    it('adds a relay object to a non-streaming reply', async () => {
      const res = await post(rig.url, '/api/chat', { model: CHAT, messages: [{ role: 'user', content: 'final whole' }], stream: false });
      const body: unknown = JSON.parse(res.body);
      assert.ok(isRecord(body) && isRecord(body.relay), `reply carries relay: ${res.body}`);
      assert.ok(isRecord(body.message) && body.message.content === fakeReplyText('final whole'));
    });

    it('passes a load request (empty prompt) through with done_reason load', async () => {
      const reply = await ollamaClient(rig.url).generate({ model: CODER, prompt: '' });
      assert.equal(reply.done_reason, 'load');
    });
  });

  describe('metadata and embeddings', () => {
    it('lists models with their families and capabilities', async () => {
      const tags = await ollamaClient(rig.url).list();
      assert.deepEqual(
        tags.models.map((m) => m.name).sort(),
        ['codellama:7b-code', 'llama3.2:1b', 'nomic-embed-text:latest', 'qwen2.5-coder:1.5b', 'qwen3:0.6b'],
      );
      assert.equal(tags.models.find((m) => m.name === CODER)?.details.family, 'qwen2');
    });

    it('shows a model with capabilities and model_info', async () => {
      const res = await post(rig.url, '/api/show', { model: CODER });
      assert.equal(res.status, 200);
      const body: unknown = JSON.parse(res.body);
      assert.ok(isRecord(body) && isRecord(body.model_info));
      assert.deepEqual(body.capabilities, ['completion', 'insert']);
      assert.equal(body.model_info['qwen2.context_length'], 32768);
      const show = await ollamaClient(rig.url).show({ model: CHAT });
      assert.deepEqual(show.capabilities, ['completion', 'tools']);
    });

    it('answers ps and version', async () => {
      const client = ollamaClient(rig.url);
      await client.generate({ model: CODER, prompt: 'warm up for ps' });
      const ps = await client.ps();
      assert.ok(ps.models.some((m) => m.name === CODER));
      assert.equal((await client.version()).version, '0.12.6');
    });

    it('embeds through /api/embed and /api/embeddings', async () => {
      const client = ollamaClient(rig.url);
      const embed = await client.embed({ model: EMBEDDER, input: ['first text', 'second text'] });
      assert.deepEqual(embed.embeddings, [fakeEmbedding('first text'), fakeEmbedding('second text')]);
      const legacy = await client.embeddings({ model: EMBEDDER, prompt: 'legacy text' });
      assert.deepEqual(legacy.embedding, fakeEmbedding('legacy text'));
    });
  });

  describe('cloud models', () => {
    for (const model of ['gpt-oss:120b-cloud', 'qwen3-coder:480b-cloud', 'deepseek-v3.1:cloud', 'kimi-k2-cloud']) {
      it(`refuses ${model} with 403 without calling Ollama`, async () => {
        await assert.rejects(
          ollamaClient(rig.url).chat({ model, messages: [{ role: 'user', content: 'cloud?' }] }),
          (error: unknown) => statusOf(error) === 403,
        );
        assert.deepEqual(requestsNaming(rig.fake, model), []);
      });
    }

    it('refuses cloud models on generate and show as well', async () => {
      assert.equal((await post(rig.url, '/api/generate', { model: 'gpt-oss:20b-cloud', prompt: 'x' })).status, 403);
      assert.equal((await post(rig.url, '/api/show', { model: 'gpt-oss:20b-cloud' })).status, 403);
      assert.deepEqual(requestsNaming(rig.fake, 'gpt-oss:20b-cloud'), []);
    });

    it('lets cloud models through when RELAY_ALLOW_CLOUD_MODELS=1', async () => {
      const fake2 = await startFakeOllama();
      const open = await startRelayFor(fake2.url, { RELAY_ALLOW_CLOUD_MODELS: '1' });
      try {
        const res = await post(open.url, '/api/chat', { model: 'gpt-oss:120b-cloud', messages: [{ role: 'user', content: 'x' }] });
        assert.equal(res.status, 404, 'the fake does not know the model, but it was asked');
        assert.equal(fake2.requestsTo('/api/chat').length, 1);
      } finally {
        await open.close();
        await fake2.close();
      }
    });
  });
});
