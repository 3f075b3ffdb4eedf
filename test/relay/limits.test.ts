import assert from 'node:assert/strict';
import { ALICE, BOB, bearer, CODER, startRig } from './helpers/harness';
import { isRecord, parseNdjson, rawRequest, type RawResponse } from './helpers/rawHttp';

/** A generation on the native route, or a completion on /v1 (both take model + prompt). */
function generate(url: string, prompt: string, token = ALICE, path = '/api/generate'): Promise<RawResponse> {
  return rawRequest(`${url}${path}`, { method: 'POST', body: JSON.stringify({ model: CODER, prompt }), headers: { ...bearer(token), 'Content-Type': 'application/json' } });
}

function assertLimited(res: RawResponse): void {
  assert.equal(res.status, 429, `expected 429, got ${res.status} ${res.body}`);
  const retryAfter = Number(res.headers['retry-after']);
  assert.ok(Number.isFinite(retryAfter) && retryAfter >= 0, `Retry-After in seconds, got ${String(res.headers['retry-after'])}`);
}

describe('relay: admission limits', () => {
  it('answers 429 with Retry-After above RATE_LIMIT_RPM, per token and in the route\'s dialect', async () => {
    const rig = await startRig({ RATE_LIMIT_RPM: '3' });
    try {
      for (let i = 0; i < 3; i += 1) assert.equal((await generate(rig.relay.url, `rate ${i}`)).status, 200);
      const native = await generate(rig.relay.url, 'rate 4');
      assertLimited(native);
      const nativeBody: unknown = JSON.parse(native.body);
      assert.ok(isRecord(nativeBody) && typeof nativeBody.error === 'string');
      const openai = await generate(rig.relay.url, 'rate 5', ALICE, '/v1/completions');
      assertLimited(openai);
      const openaiBody: unknown = JSON.parse(openai.body);
      assert.ok(isRecord(openaiBody) && isRecord(openaiBody.error));
      assert.equal((await generate(rig.relay.url, 'bob is fine', BOB)).status, 200, 'another token is not limited');
      assert.equal(rig.fake.requestsTo('/api/generate').length, 4, 'limited requests never reach Ollama');
    } finally {
      await rig.close();
    }
  });

  it('queues beyond MAX_INFLIGHT_PER_TOKEN, reports the wait, and answers 429 when the queue is full', async () => {
    const rig = await startRig({ MAX_INFLIGHT_PER_TOKEN: '1', MAX_QUEUE: '1' });
    try {
      rig.fake.behave({ firstTokenDelayMs: 400, tokens: 3 });
      const running = generate(rig.relay.url, 'running');
      await rig.fake.waitFor((f) => f.stats.generationsStarted === 1, 2000, 'the first generation');
      const queued = generate(rig.relay.url, 'queued');
      await new Promise((resolve) => setTimeout(resolve, 100));
      assertLimited(await generate(rig.relay.url, 'rejected'));
      assert.equal(rig.fake.stats.generationsStarted, 1, 'only one generation runs for the token');
      const [first, second] = await Promise.all([running, queued]);
      assert.equal(first.status, 200);
      assert.equal(second.status, 200);
      const final = parseNdjson(second.body).at(-1);
      assert.ok(isRecord(final) && isRecord(final.relay) && typeof final.relay.queue_ms === 'number');
      assert.ok(final.relay.queue_ms >= 150, `the queued request reports its wait (${final.relay.queue_ms} ms)`);
    } finally {
      await rig.close();
    }
  });
});
