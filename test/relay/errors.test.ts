import assert from 'node:assert/strict';
import net from 'node:net';
import OpenAI from 'openai';
import { DEFAULT_ERROR_MESSAGE, fakeReplyText, type FakeOllama, startFakeOllama } from '../fakes/fakeOllama';
import { closedPort } from '../support/net';
import { resetFake } from '../support/resetFake';
import { ALICE, bearer, CHAT, CODER, delay, NO_INSERT, ollamaClient, openaiClient, type Rig, startRelayFor, startRig } from './helpers/harness';
import { isRecord, rawRequest, type RawResponse } from './helpers/rawHttp';
import { sseData } from './helpers/sse';

function send(url: string, method: string, path: string, body?: string, headers: Record<string, string> = bearer(ALICE)): Promise<RawResponse> {
  return rawRequest(`${url}${path}`, { method, headers: { 'Content-Type': 'application/json', ...headers }, ...(body === undefined ? {} : { body }) });
}

/** Asserts a native error response: status and `{"error":"…"}`; returns the message. */
function nativeError(res: RawResponse, status: number): string {
  assert.equal(res.status, status, `expected ${status}, got ${res.status} ${res.body}`);
  const body: unknown = JSON.parse(res.body);
  assert.ok(isRecord(body) && typeof body.error === 'string', `native error shape expected, got ${res.body}`);
  return body.error;
}

/** Asserts an OpenAI-shaped error response; returns the error object. */
function openAiError(res: RawResponse, status: number): Record<string, unknown> {
  assert.equal(res.status, status, `expected ${status}, got ${res.status} ${res.body}`);
  const body: unknown = JSON.parse(res.body);
  assert.ok(isRecord(body) && isRecord(body.error) && typeof body.error.message === 'string', `OpenAI error shape expected, got ${res.body}`);
  assert.ok('type' in body.error && 'code' in body.error);
  return body.error;
}

/** NDJSON lines of a stream; asserts every line is JSON (garbage never reaches the client). */
function jsonLines(body: string): unknown[] {
  return body
    .split('\n')
    .filter((line) => line !== '')
    .map((line): unknown => {
      try {
        return JSON.parse(line);
      } catch {
        assert.fail(`a non-JSON line reached the client: ${line}`);
      }
    });
}

/** Asserts that a native stream ended with exactly one terminal `{"error":…}` line and no done record. */
function assertNativeErrorFrame(res: RawResponse): string {
  assert.equal(res.status, 200, 'streaming had begun');
  assert.ok(res.body.endsWith('\n'), 'the body ends with a complete line');
  const lines = jsonLines(res.body);
  const last = lines.at(-1);
  assert.ok(isRecord(last) && typeof last.error === 'string', `the last line is an error frame, got ${JSON.stringify(last)}`);
  assert.equal(lines.filter((l) => isRecord(l) && 'error' in l).length, 1, 'exactly one error frame');
  assert.ok(!lines.some((l) => isRecord(l) && l.done === true), 'no done record after a failure');
  assert.ok(lines.length > 1, 'the tokens before the failure were delivered');
  return last.error;
}

/** Asserts that an SSE stream ended with an error object followed by [DONE]. */
function assertSseErrorFrame(res: RawResponse): void {
  assert.equal(res.status, 200);
  const data = sseData(res.body);
  assert.equal(data.at(-1), '[DONE]', `the stream ends with [DONE]: ${res.body.slice(-200)}`);
  const beforeDone: unknown = JSON.parse(data.at(-2) ?? 'null');
  assert.ok(isRecord(beforeDone) && isRecord(beforeDone.error) && typeof beforeDone.error.message === 'string', `an error object precedes [DONE]: ${data.at(-2)}`);
  assert.ok(data.length > 2, 'the chunks before the failure were delivered');
}

const chatBody = (content: string, extra: Record<string, unknown> = {}): string =>
  JSON.stringify({ model: CHAT, messages: [{ role: 'user', content }], ...extra });

describe('relay: errors', () => {
  let rig: Rig;
  let fake: FakeOllama;
  let url: string;

  before(async () => {
    rig = await startRig({ MAX_BODY_BYTES: '4096' });
    fake = rig.fake;
    url = rig.relay.url;
  });
  afterEach(async () => {
    // Whatever the last request did, the relay still serves.
    const health = await rawRequest(`${url}/healthz`, { timeoutMs: 2000 });
    assert.equal(health.status, 200, 'the relay keeps serving after a bad request');
    await resetFake(fake, 3000);
  });
  after(() => rig.close());

  describe('invalid requests', () => {
    it('answers malformed JSON on a native route with 400 {"error"} without calling Ollama', async () => {
      nativeError(await send(url, 'POST', '/api/chat', '{"model": "llama3.2:1b", "messages": ['), 400);
      assert.equal(fake.requestsTo('/api/chat').length, 0);
    });

    it('answers wrong field types on a native route with 400', async () => {
      nativeError(await send(url, 'POST', '/api/generate', JSON.stringify({ model: 5, prompt: 'x' })), 400);
      nativeError(await send(url, 'POST', '/api/chat', JSON.stringify({ model: CHAT, messages: 'hello' })), 400);
      nativeError(await send(url, 'POST', '/api/generate', JSON.stringify([1, 2, 3])), 400);
      assert.equal(fake.requestsTo('/api/generate').length + fake.requestsTo('/api/chat').length, 0);
    });

    it('answers malformed JSON and wrong types on /v1 with 400 in the OpenAI shape', async () => {
      const malformed = openAiError(await send(url, 'POST', '/v1/chat/completions', '{"model":'), 400);
      assert.equal(malformed.type, 'invalid_request_error');
      openAiError(await send(url, 'POST', '/v1/chat/completions', JSON.stringify({ model: 5, messages: [{ role: 'user', content: 'x' }] })), 400);
      openAiError(await send(url, 'POST', '/v1/completions', JSON.stringify({ model: CODER, prompt: { text: 'x' } })), 400);
      assert.equal(fake.requestsTo('/api/chat').length + fake.requestsTo('/api/generate').length, 0);
    });

    it('answers a body above MAX_BODY_BYTES with 413 in the route\'s dialect', async () => {
      const big = chatBody('x'.repeat(8192));
      nativeError(await send(url, 'POST', '/api/chat', big), 413);
      openAiError(await send(url, 'POST', '/v1/chat/completions', big), 413);
      assert.equal(fake.requestsTo('/api/chat').length, 0);
    });
  });

  describe('forbidden and unknown routes', () => {
    const admin: Array<[string, string]> = [
      ['POST', '/api/pull'],
      ['POST', '/api/push'],
      ['POST', '/api/create'],
      ['POST', '/api/copy'],
      ['DELETE', '/api/delete'],
      ['POST', '/api/blobs/sha256:29fdb92e57cf0827ded04ae6461b5931d01fa595843f55d36f5b275a52087dd2'],
      ['HEAD', '/api/blobs/sha256:29fdb92e57cf0827ded04ae6461b5931d01fa595843f55d36f5b275a52087dd2'],
      ['POST', '/api/me'],
      ['POST', '/api/signout'],
      ['POST', '/api/experimental/web_search'],
      ['POST', '/api/experimental/web_fetch'],
      ['GET', '/api/experimental/model-recommendations'],
      ['DELETE', '/api/user/keys/c3NoLWVkMjU1MTk'],
    ];
    for (const [method, path] of admin) {
      it(`refuses ${method} ${path.replace(/sha256:\w+/, 'sha256:…')} with 403 without reaching Ollama`, async () => {
        const res = await send(url, method, path, method === 'GET' || method === 'HEAD' ? undefined : JSON.stringify({ model: CODER, name: CODER }));
        if (method === 'HEAD') assert.equal(res.status, 403);
        else nativeError(res, 403);
        assert.equal(fake.stats.adminRequests, 0);
      });
    }

    it('refuses admin routes hidden behind path tricks', async () => {
      for (const path of ['/api/../api/pull', '/api/./pull', '/api//pull', '/%61pi/pull', '/api/pull/', '/api/pull?x=1', '/api/%70ull']) {
        const res = await send(url, 'POST', path, JSON.stringify({ model: CODER }));
        assert.ok([403, 404].includes(res.status), `${path} answered ${res.status}`);
      }
      assert.equal(fake.stats.adminRequests, 0);
    });

    it('answers unknown routes with 404 in the dialect of their prefix', async () => {
      nativeError(await send(url, 'GET', '/api/not-a-route'), 404);
      openAiError(await send(url, 'GET', '/v1/not-a-route'), 404);
      openAiError(await send(url, 'POST', '/v1/responses', JSON.stringify({ model: CHAT, input: 'x' })), 404);
      nativeError(await send(url, 'GET', '/wp-login.php'), 404);
      const unknownPaths = ['/api/not-a-route', '/v1/not-a-route', '/v1/responses', '/wp-login.php'];
      assert.deepEqual(fake.requests.filter((r) => unknownPaths.includes(r.path)), []);
    });
  });

  describe('errors from Ollama', () => {
    it('keeps Ollama\'s 404 and message for an unknown model', async () => {
      const message = nativeError(await send(url, 'POST', '/api/chat', JSON.stringify({ model: 'ghost:7b', messages: [{ role: 'user', content: 'x' }] })), 404);
      assert.equal(message, "model 'ghost:7b' not found");
      await assert.rejects(ollamaClient(url).generate({ model: 'ghost:7b', prompt: 'x' }), /model 'ghost:7b' not found/);
    });

    it('keeps Ollama\'s 400 and message for suffix on a model without insert', async () => {
      const message = nativeError(await send(url, 'POST', '/api/generate', JSON.stringify({ model: NO_INSERT, prompt: 'a', suffix: 'b' })), 400);
      assert.equal(message, 'registry.ollama.ai/library/codellama:7b-code does not support insert');
    });

    it('keeps an upstream 500 and its message in both dialects', async () => {
      fake.behave({ errorBeforeStream: { status: 500, message: DEFAULT_ERROR_MESSAGE } });
      assert.equal(nativeError(await send(url, 'POST', '/api/chat', chatBody('five hundred')), 500), DEFAULT_ERROR_MESSAGE);
      const error = openAiError(await send(url, 'POST', '/v1/chat/completions', chatBody('five hundred')), 500);
      assert.equal(error.message, DEFAULT_ERROR_MESSAGE);
      assert.equal(error.type, 'api_error');
    });

    it('answers a non-streaming call that fails during generation with Ollama\'s status and message', async () => {
      fake.behave({ errorAfterTokens: 2, errorMessage: 'out of memory' });
      assert.equal(nativeError(await send(url, 'POST', '/api/generate', JSON.stringify({ model: CODER, prompt: 'oom', stream: false })), 500), 'out of memory');
    });
  });

  describe('failures after streaming began', () => {
    it('forwards a mid-stream Ollama error as one terminal error line', async () => {
      fake.behave({ errorAfterTokens: 3, errorMessage: 'runner crashed' });
      const res = await send(url, 'POST', '/api/chat', chatBody('mid error'));
      assert.equal(assertNativeErrorFrame(res), 'runner crashed');
      await assert.rejects(async () => {
        for await (const part of await ollamaClient(url).chat({ model: CHAT, messages: [{ role: 'user', content: 'mid error 2' }], stream: true })) void part;
      }, /runner crashed/);
    });

    it('ends a stream whose upstream connection drops with an error line, not a silent truncation', async () => {
      fake.behave({ dropAfterTokens: 3 });
      assertNativeErrorFrame(await send(url, 'POST', '/api/generate', JSON.stringify({ model: CODER, prompt: 'drop' })));
    });

    it('ends a stream whose upstream sends garbage with an error line and no garbage', async () => {
      fake.behave({ malformedAfterTokens: 2 });
      assertNativeErrorFrame(await send(url, 'POST', '/api/generate', JSON.stringify({ model: CODER, prompt: 'garbage in' })));
    });

    for (const [what, knobs] of [
      ['an Ollama error line', { errorAfterTokens: 3 }],
      ['a dropped upstream connection', { dropAfterTokens: 3 }],
      ['upstream garbage', { malformedAfterTokens: 3 }],
    ] as const) {
      it(`ends an SSE stream with an error object then [DONE] after ${what}`, async () => {
        fake.behave(knobs);
        assertSseErrorFrame(await send(url, 'POST', '/v1/chat/completions', chatBody(`sse ${what}`, { stream: true })));
      });
    }

    it('makes the openai client throw on a mid-stream failure', async () => {
      fake.behave({ errorAfterTokens: 2, errorMessage: 'gpu fell over' });
      const stream = await openaiClient(url).chat.completions.create({ model: CHAT, messages: [{ role: 'user', content: 'sdk error' }], stream: true });
      await assert.rejects(async () => {
        for await (const chunk of stream) void chunk;
      }, (error: unknown) => error instanceof OpenAI.APIError && /gpu fell over/.test(error.message));
    });
  });

  describe('upstream unavailable', () => {
    for (const [dialect, path, body] of [
      ['native', '/api/chat', chatBody('nobody home')],
      ['OpenAI', '/v1/chat/completions', chatBody('nobody home')],
    ] as const) {
      it(`answers 502 in the ${dialect} dialect when the upstream refuses connections`, async () => {
        const dead = await startRelayFor(`http://127.0.0.1:${await closedPort()}`);
        try {
          const res = await send(dead.url, 'POST', path, body);
          if (dialect === 'native') nativeError(res, 502);
          else openAiError(res, 502);
          assert.equal((await rawRequest(`${dead.url}/healthz`)).status, 200);
        } finally {
          await dead.close();
        }
      });
    }

    for (const [dialect, path, body] of [
      ['native', '/api/generate', JSON.stringify({ model: CODER, prompt: 'hang' })],
      ['OpenAI', '/v1/completions', JSON.stringify({ model: CODER, prompt: 'hang' })],
    ] as const) {
      it(`answers 504 in the ${dialect} dialect when the upstream sends nothing before FIRST_BYTE_TIMEOUT_MS, and abandons the upstream request`, async () => {
        const hanging = await startFakeOllama();
        hanging.behave({ hangBeforeHeaders: true }, CODER);
        const relay = await startRelayFor(hanging.url, { FIRST_BYTE_TIMEOUT_MS: '400' });
        try {
          const started = Date.now();
          const res = await send(relay.url, 'POST', path, body);
          if (dialect === 'native') nativeError(res, 504);
          else openAiError(res, 504);
          assert.ok(Date.now() - started < 4000, 'answered within a few multiples of the timeout');
          await hanging.waitFor(
            (f) => f.requests.some((r) => isRecord(r.body) && r.body.model === CODER) && f.requests.every((r) => r.closedAt !== undefined),
            2000,
            'the relay to close every hanging request',
          );
        } finally {
          await relay.close();
          await hanging.close();
        }
      });
    }

    it('disconnects a client that does not finish its headers within HEADERS_TIMEOUT_MS', async () => {
      const strict = await startRelayFor(fake.url, { HEADERS_TIMEOUT_MS: '500' });
      try {
        const { port } = new URL(strict.url);
        const socket = net.connect(Number(port), '127.0.0.1');
        await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
        socket.resume();
        socket.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ');
        const closed = await Promise.race([
          new Promise<boolean>((resolve) => socket.once('close', () => resolve(true))),
          delay(4000).then(() => false),
        ]);
        socket.destroy();
        assert.equal(closed, true, 'the slow client was disconnected within 4 s');
      } finally {
        await strict.close();
      }
    });
  });

  it('keeps serving normal requests after all of the above', async () => {
    const reply = await ollamaClient(url).chat({ model: CHAT, messages: [{ role: 'user', content: 'still alive' }] });
    assert.equal(reply.message.content, fakeReplyText('still alive'));
  });
});
