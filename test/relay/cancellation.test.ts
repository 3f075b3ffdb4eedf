import assert from 'node:assert/strict';
import type { FakeOllama } from '../fakes/fakeOllama';
import { ALICE, BOB, bearer, CHAT, CODER, delay, fetchWithSignal, ollamaClient, openaiClient } from './helpers/harness';
import { useRig } from './helpers/useRig';
import { rawRequest, type RawResponse } from './helpers/rawHttp';

/** How long the relay may take to close its upstream request after its client left. */
const PROMPT_MS = 1000;

/**
 * Asserts the contract for a client that went away at `abortedAt`: Ollama saw its request closed
 * promptly, the generation was aborted rather than completed, and no token was made for nobody.
 */
async function assertUpstreamStopped(fake: FakeOllama, path: string, abortedAt: number): Promise<void> {
  await fake.waitFor((f) => f.requestsTo(path).some((r) => r.closedEarly), PROMPT_MS, `Ollama to see ${path} closed by the relay`);
  const request = fake.requestsTo(path).find((r) => r.closedEarly);
  assert.ok(request?.closedAt !== undefined);
  assert.ok(request.closedAt - abortedAt < PROMPT_MS, `closed ${request.closedAt - abortedAt} ms after the client left`);
  await fake.waitFor((f) => f.stats.activeGenerations === 0, PROMPT_MS, 'the generation to end');
  assert.equal(fake.stats.generationsAborted, 1, 'the generation was aborted');
  assert.equal(fake.stats.generationsCompleted, 0, 'the generation did not run to the end');
  assert.equal(fake.stats.tokensAfterClientGone, 0, 'no tokens were generated for nobody');
}

/** Aborts `controller` and tells the fake that the far client is gone. */
function leave(fake: FakeOllama, controller: AbortController): number {
  controller.abort();
  fake.markClientGone();
  return Date.now();
}

describe('relay: cancellation', () => {
  // Let any straggling generation end before the next test counts.
  const rig = useRig({ settleMs: 3000 });

  function startRaw(path: string, body: unknown, controller: AbortController, onChunk?: (bytes: Buffer) => void): Promise<RawResponse | undefined> {
    return rawRequest(`${rig.url}${path}`, {
      method: 'POST',
      body: JSON.stringify(body),
      headers: { ...bearer(ALICE), 'Content-Type': 'application/json' },
      signal: controller.signal,
      ...(onChunk === undefined ? {} : { onChunk }),
    }).catch(() => undefined);
  }

  describe('native', () => {
    it('aborts the upstream request when the client leaves before the first byte', async () => {
      rig.fake.behave({ firstTokenDelayMs: 4000 });
      const controller = new AbortController();
      const pending = startRaw('/api/generate', { model: CODER, prompt: 'waiting' }, controller);
      await rig.fake.waitFor((f) => f.stats.generationsStarted === 1, 2000, 'the generation to start');
      await delay(100);
      const abortedAt = leave(rig.fake, controller);
      await pending;
      await assertUpstreamStopped(rig.fake, '/api/generate', abortedAt);
    });

    it('aborts the upstream request when the client leaves mid-stream', async () => {
      rig.fake.behave({ tokens: 300, tokenDelayMs: 15 });
      const controller = new AbortController();
      let chunks = 0;
      let abortedAt = 0;
      await startRaw('/api/chat', { model: CHAT, messages: [{ role: 'user', content: 'mid-stream' }] }, controller, () => {
        chunks += 1;
        if (chunks === 3) abortedAt = leave(rig.fake, controller);
      });
      assert.ok(abortedAt > 0, 'the stream had begun');
      await assertUpstreamStopped(rig.fake, '/api/chat', abortedAt);
      assert.ok(rig.fake.stats.tokensProduced < 300);
    });

    it('aborts the upstream request when a non-streaming client leaves', async () => {
      rig.fake.behave({ tokens: 200, tokenDelayMs: 15 });
      const controller = new AbortController();
      const pending = startRaw('/api/generate', { model: CODER, prompt: 'not streaming', stream: false }, controller);
      await rig.fake.waitFor((f) => f.stats.tokensProduced >= 3, 2000, 'a few tokens');
      const abortedAt = leave(rig.fake, controller);
      await pending;
      await assertUpstreamStopped(rig.fake, '/api/generate', abortedAt);
    });

    it('aborts upstream when the ollama client aborts its stream', async () => {
      rig.fake.behave({ tokens: 300, tokenDelayMs: 15 });
      const stream = await ollamaClient(rig.url).generate({ model: CODER, prompt: 'ollama abort', stream: true });
      let parts = 0;
      let abortedAt = 0;
      await assert.rejects(async () => {
        for await (const part of stream) {
          void part;
          parts += 1;
          if (parts === 3) {
            stream.abort();
            rig.fake.markClientGone();
            abortedAt = Date.now();
          }
        }
      }, /abort/i);
      await assertUpstreamStopped(rig.fake, '/api/generate', abortedAt);
    });

    it('aborts upstream when an ollama call is cancelled through its fetch before headers arrive', async () => {
      rig.fake.behave({ firstTokenDelayMs: 4000 });
      const controller = new AbortController();
      const client = ollamaClient(rig.url, ALICE, fetchWithSignal(controller.signal));
      const pending = client.chat({ model: CHAT, messages: [{ role: 'user', content: 'cold and cancelled' }] });
      await rig.fake.waitFor((f) => f.stats.generationsStarted === 1, 2000, 'the generation to start');
      const abortedAt = leave(rig.fake, controller);
      await assert.rejects(pending);
      await assertUpstreamStopped(rig.fake, '/api/chat', abortedAt);
    });
  });

  describe('OpenAI-compatible', () => {
    it('aborts upstream when the openai client aborts a stream', async () => {
      rig.fake.behave({ tokens: 300, tokenDelayMs: 15 });
      const stream = await openaiClient(rig.url).chat.completions.create({ model: CHAT, messages: [{ role: 'user', content: 'openai abort' }], stream: true });
      let chunks = 0;
      let abortedAt = 0;
      try {
        for await (const chunk of stream) {
          void chunk;
          chunks += 1;
          if (chunks === 3) {
            stream.controller.abort();
            rig.fake.markClientGone();
            abortedAt = Date.now();
          }
        }
      } catch {
        // the SDK may end the loop quietly or throw an abort error
      }
      assert.ok(abortedAt > 0);
      await assertUpstreamStopped(rig.fake, '/api/chat', abortedAt);
    });

    it('aborts upstream when an openai request is cancelled through its signal before the first byte', async () => {
      rig.fake.behave({ firstTokenDelayMs: 4000 }, CODER);
      const controller = new AbortController();
      const pending = openaiClient(rig.url).completions.create({ model: CODER, prompt: 'openai cold', max_tokens: 8 }, { signal: controller.signal });
      await rig.fake.waitFor((f) => f.stats.generationsStarted === 1, 2000, 'the generation to start');
      const abortedAt = leave(rig.fake, controller);
      await assert.rejects(pending);
      await assertUpstreamStopped(rig.fake, '/api/generate', abortedAt);
    });

    it('aborts upstream when a non-streaming openai chat is cancelled mid-generation', async () => {
      rig.fake.behave({ tokens: 200, tokenDelayMs: 15 });
      const controller = new AbortController();
      const pending = openaiClient(rig.url).chat.completions.create({ model: CHAT, messages: [{ role: 'user', content: 'openai whole abort' }] }, { signal: controller.signal });
      await rig.fake.waitFor((f) => f.stats.tokensProduced >= 3, 2000, 'a few tokens');
      const abortedAt = leave(rig.fake, controller);
      await assert.rejects(pending);
      await assertUpstreamStopped(rig.fake, '/api/chat', abortedAt);
    });
  });

  describe('X-Relay-Supersede', () => {
    it('cancels the same token\'s earlier request with the same key and answers the new one', async () => {
      rig.fake.behave({ firstTokenDelayMs: 400, tokens: 5 });
      const first = rawRequest(`${rig.url}/api/generate`, {
        method: 'POST',
        body: JSON.stringify({ model: CODER, prompt: 'first keystroke' }),
        headers: { ...bearer(ALICE), 'X-Relay-Supersede': 'doc-1' },
      }).catch((error: unknown) => (error instanceof Error ? error : new Error(String(error))));
      await rig.fake.waitFor((f) => f.stats.generationsStarted === 1, 2000, 'the first generation to start');
      const second = await rawRequest(`${rig.url}/api/generate`, {
        method: 'POST',
        body: JSON.stringify({ model: CODER, prompt: 'second keystroke' }),
        headers: { ...bearer(ALICE), 'X-Relay-Supersede': 'doc-1' },
      });
      assert.equal(second.status, 200);
      assert.match(second.body, /second/);
      const firstOutcome = await first;
      const firstCompleted = !(firstOutcome instanceof Error) && !firstOutcome.aborted && firstOutcome.body.includes('"done":true');
      assert.equal(firstCompleted, false, 'the first request was not answered in full');
      assert.equal(rig.fake.requestsTo('/api/generate')[0]?.closedEarly, true, 'the first upstream request was cancelled');
      assert.equal(rig.fake.stats.generationsAborted, 1);
    });

    it('does not cancel another token\'s request with the same key', async () => {
      rig.fake.behave({ firstTokenDelayMs: 300, tokens: 3 });
      const alice = rawRequest(`${rig.url}/api/generate`, {
        method: 'POST',
        body: JSON.stringify({ model: CODER, prompt: 'alice types' }),
        headers: { ...bearer(ALICE), 'X-Relay-Supersede': 'doc-shared' },
      });
      await rig.fake.waitFor((f) => f.stats.generationsStarted === 1, 2000, 'alice\'s generation to start');
      const bob = rawRequest(`${rig.url}/api/generate`, {
        method: 'POST',
        body: JSON.stringify({ model: CODER, prompt: 'bob types' }),
        headers: { ...bearer(BOB), 'X-Relay-Supersede': 'doc-shared' },
      });
      const [a, b] = await Promise.all([alice, bob]);
      assert.equal(a.status, 200);
      assert.equal(b.status, 200);
      assert.equal(rig.fake.stats.generationsCompleted, 2);
      assert.equal(rig.fake.stats.generationsAborted, 0);
    });
  });
});
