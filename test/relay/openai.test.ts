import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { fakeEmbedding, fakeReplyText, fakeReplyTokens, type FakeOllama, type RecordedRequest } from '../fakes/fakeOllama';
import { ALICE, bearer, CHAT, CODER, EMBEDDER, NO_INSERT, openaiClient, statusOf } from './helpers/harness';
import { useRig } from './helpers/useRig';
import { isRecord, rawRequest } from './helpers/rawHttp';
import { sseData } from './helpers/sse';

function lastRequest(fake: FakeOllama, path: string): RecordedRequest {
  const request = fake.requestsTo(path).at(-1);
  assert.ok(request, `Ollama received no request for ${path}; it saw ${JSON.stringify(fake.summary().requests)}`);
  return request;
}

function optionsOf(request: RecordedRequest): Record<string, unknown> {
  const body = request.body;
  assert.ok(isRecord(body), 'the relay sent a JSON object');
  const options = body.options ?? {};
  assert.ok(isRecord(options), 'options is an object');
  return options;
}

function apiErrorOf(error: unknown): { status: number | undefined; type: unknown; message: string } {
  return {
    status: statusOf(error),
    type: isRecord(error) ? error.type : undefined,
    message: error instanceof Error ? error.message : String(error),
  };
}

describe('relay: OpenAI-compatible routes', () => {
  const rig = useRig();
  let client: OpenAI;

  before(() => {
    client = openaiClient(rig.url);
  });

  describe('chat completions', () => {
    it('answers a non-streaming chat completion with the reply and usage', async () => {
      const completion = await client.chat.completions.create({ model: CHAT, messages: [{ role: 'user', content: 'openai whole' }] });
      assert.equal(completion.object, 'chat.completion');
      assert.equal(completion.choices[0]?.message.content, fakeReplyText('openai whole'));
      assert.equal(completion.choices[0]?.finish_reason, 'stop');
      assert.equal(completion.usage?.completion_tokens, fakeReplyTokens('openai whole').length);
      assert.equal(lastRequest(rig.fake, '/api/chat').path, '/api/chat', 'translated to the native route');
    });

    it('streams a chat completion chunk by chunk', async () => {
      const stream = await client.chat.completions.create({ model: CHAT, messages: [{ role: 'user', content: 'openai streamed é' }], stream: true });
      let text = '';
      let chunks = 0;
      let finish: string | null | undefined;
      for await (const chunk of stream) {
        chunks += 1;
        text += chunk.choices[0]?.delta.content ?? '';
        finish = chunk.choices[0]?.finish_reason ?? finish;
      }
      assert.equal(text, fakeReplyText('openai streamed é'));
      assert.ok(chunks > 3);
      assert.equal(finish, 'stop');
    });

    it('sends a final usage chunk when stream_options.include_usage is set', async () => {
      const stream = await client.chat.completions.create({
        model: CHAT,
        messages: [{ role: 'user', content: 'usage please' }],
        stream: true,
        stream_options: { include_usage: true },
      });
      const all: OpenAI.Chat.Completions.ChatCompletionChunk[] = [];
      for await (const chunk of stream) all.push(chunk);
      const last = all.at(-1);
      assert.ok(last?.usage, 'the last chunk carries usage');
      assert.deepEqual(last.choices, []);
      assert.equal(last.usage.completion_tokens, fakeReplyTokens('usage please').length);
      assert.equal(last.usage.total_tokens, last.usage.prompt_tokens + last.usage.completion_tokens);
    });

    it('frames the stream as SSE ending with data: [DONE]', async () => {
      const res = await rawRequest(`${rig.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { ...bearer(ALICE), 'Content-Type': 'application/json' },
        body: JSON.stringify({ model: CHAT, messages: [{ role: 'user', content: 'sse framing' }], stream: true }),
      });
      assert.equal(res.status, 200);
      assert.match(String(res.headers['content-type']), /^text\/event-stream/);
      assert.equal(res.headers['x-accel-buffering'], 'no');
      const data = sseData(res.body);
      assert.equal(data.at(-1), '[DONE]');
      for (const item of data.slice(0, -1)) assert.doesNotThrow(() => JSON.parse(item));
    });

    it('leaves temperature and top_p unset unless the client sets them', async () => {
      await client.chat.completions.create({ model: CHAT, messages: [{ role: 'user', content: 'no sampling' }] });
      const plain = optionsOf(lastRequest(rig.fake, '/api/chat'));
      assert.equal('temperature' in plain, false, `no injected temperature: ${JSON.stringify(plain)}`);
      assert.equal('top_p' in plain, false, `no injected top_p: ${JSON.stringify(plain)}`);
      await client.chat.completions.create({
        model: CHAT,
        messages: [{ role: 'user', content: 'sampling set' }],
        temperature: 0.3,
        top_p: 0.8,
        max_tokens: 5,
        stop: ['END'],
        seed: 11,
      });
      const set = optionsOf(lastRequest(rig.fake, '/api/chat'));
      assert.equal(set.temperature, 0.3);
      assert.equal(set.top_p, 0.8);
      assert.equal(set.num_predict, 5);
      assert.deepEqual(set.stop, ['END']);
      assert.equal(set.seed, 11);
    });

    it('sets one num_ctx per model, within the model\'s trained context, for chat and completions alike', async () => {
      await client.chat.completions.create({ model: CODER, messages: [{ role: 'user', content: 'ctx chat' }] });
      const chatCtx = optionsOf(lastRequest(rig.fake, '/api/chat')).num_ctx;
      await client.completions.create({ model: CODER, prompt: 'ctx completion', temperature: 0 });
      const completionCtx = optionsOf(lastRequest(rig.fake, '/api/generate')).num_ctx;
      assert.equal(typeof chatCtx, 'number', 'num_ctx is set, since /v1 callers cannot set it themselves');
      assert.ok(Number.isInteger(chatCtx) && Number(chatCtx) > 0 && Number(chatCtx) <= 32768, `num_ctx ${String(chatCtx)} within the trained context`);
      assert.equal(completionCtx, chatCtx, 'identical load options avoid a model reload');
    });
  });

  describe('completions', () => {
    it('answers a fill-in-the-middle completion by passing suffix to native generate', async () => {
      const completion = await client.completions.create({ model: CODER, prompt: 'def mid(', suffix: '):\n    pass', max_tokens: 16, temperature: 0.1 });
      assert.equal(completion.choices[0]?.text, fakeReplyText('def mid('));
      const body = lastRequest(rig.fake, '/api/generate').body;
      assert.ok(isRecord(body));
      assert.equal(body.prompt, 'def mid(');
      assert.equal(body.suffix, '):\n    pass');
      assert.equal(optionsOf(lastRequest(rig.fake, '/api/generate')).temperature, 0.1);
    });

    it('streams a completion', async () => {
      const stream = await client.completions.create({ model: CODER, prompt: 'stream completion', stream: true });
      let text = '';
      for await (const chunk of stream) text += chunk.choices[0]?.text ?? '';
      assert.equal(text, fakeReplyText('stream completion'));
      assert.equal('temperature' in optionsOf(lastRequest(rig.fake, '/api/generate')), false);
    });

    it('answers suffix on a model without insert with 400 in the OpenAI shape, keeping Ollama\'s message', async () => {
      await assert.rejects(client.completions.create({ model: NO_INSERT, prompt: 'a', suffix: 'b' }), (error: unknown) => {
        const { status, type, message } = apiErrorOf(error);
        assert.equal(status, 400);
        assert.equal(type, 'invalid_request_error');
        assert.match(message, /does not support insert/);
        return true;
      });
    });
  });

  describe('embeddings and models', () => {
    it('embeds with float encoding', async () => {
      const result = await client.embeddings.create({ model: EMBEDDER, input: ['alpha', 'beta'], encoding_format: 'float' });
      assert.deepEqual(
        result.data.map((d) => d.embedding),
        [fakeEmbedding('alpha'), fakeEmbedding('beta')],
      );
    });

    it('embeds with the client default (base64) encoding', async () => {
      const result = await client.embeddings.create({ model: EMBEDDER, input: 'gamma' });
      const expected = fakeEmbedding('gamma');
      const actual = result.data[0]?.embedding ?? [];
      assert.equal(actual.length, expected.length);
      actual.forEach((value, i) => assert.ok(Math.abs(value - (expected[i] ?? NaN)) < 1e-6, `dimension ${i}`));
    });

    it('lists the models and retrieves one', async () => {
      const models = await client.models.list();
      const ids = models.data.map((m) => m.id).sort();
      assert.deepEqual(ids, ['codellama:7b-code', 'llama3.2:1b', 'nomic-embed-text:latest', 'qwen2.5-coder:1.5b', 'qwen3:0.6b']);
      assert.ok(models.data.every((m) => m.object === 'model'));
      const one = await client.models.retrieve(CODER);
      assert.equal(one.id, CODER);
    });
  });

  describe('errors', () => {
    it('answers a wrong API key with 401 in the OpenAI shape', async () => {
      await assert.rejects(openaiClient(rig.url, 'not-a-token').models.list(), (error: unknown) => {
        assert.ok(error instanceof OpenAI.AuthenticationError, `AuthenticationError expected, got ${String(error)}`);
        return true;
      });
    });

    it('answers an unknown model with 404', async () => {
      await assert.rejects(client.chat.completions.create({ model: 'ghost:7b', messages: [{ role: 'user', content: 'x' }] }), (error: unknown) => {
        const { status, type, message } = apiErrorOf(error);
        assert.equal(status, 404);
        assert.equal(type, 'not_found_error');
        assert.match(message, /ghost:7b/);
        return true;
      });
    });

    it('answers an unknown /v1 route with 404 in the OpenAI shape', async () => {
      const res = await rawRequest(`${rig.url}/v1/assistants`, { headers: bearer(ALICE) });
      assert.equal(res.status, 404);
      const body: unknown = JSON.parse(res.body);
      assert.ok(isRecord(body) && isRecord(body.error) && typeof body.error.message === 'string');
    });
  });
});
