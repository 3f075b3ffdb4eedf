/**
 * After a burst of 500 requests with faults (mid-stream errors, resets, client aborts, cache hits,
 * superseded requests, both dialects), the relay's heap returns near its baseline and it still serves.
 */
import assert from 'node:assert/strict';
import v8 from 'node:v8';
import vm from 'node:vm';
import type { FakeOllama } from '../fakes/fakeOllama';
import { doneRecord, ndjsonLines } from './support/http';
import { ALICE, BOB, CHAT, CODER, EMBEDDER, chatBody, NullLog, startFake, startTestRelay, Teardown, type TestRelay } from './support/rig';
import { delay } from './support/wait';

const THINKER = 'qwen3:0.6b';
const BURST = 500;
const CONCURRENCY = 25;
/** Generous: the point is "no growth per request", not a tight budget. */
const ALLOWED_GROWTH_BYTES = 12 * 1024 * 1024;
const MiB = 1024 * 1024;

type CollectGarbage = () => void;

function isCollector(value: unknown): value is CollectGarbage {
  return typeof value === 'function';
}

/** `global.gc` without starting mocha with --expose-gc. */
function garbageCollector(): CollectGarbage {
  v8.setFlagsFromString('--expose-gc');
  const gc: unknown = vm.runInNewContext('gc');
  if (!isCollector(gc)) throw new Error('could not expose the garbage collector');
  return gc;
}

async function settledHeap(gc: CollectGarbage): Promise<number> {
  for (let i = 0; i < 4; i += 1) {
    gc();
    await delay(50);
  }
  return process.memoryUsage().heapUsed;
}

/** One request of the mix; it resolves however it ends (answer, error frame, cut, refusal). */
async function oneRequest(relay: TestRelay, i: number): Promise<void> {
  const token = i % 2 === 0 ? ALICE : BOB;
  const ignore = (): undefined => undefined;
  switch (i % 8) {
    case 0:
      await relay.post('/api/chat', chatBody(CHAT, `plain ${i}`), { token }).catch(ignore);
      return;
    case 1:
      await relay.post('/api/generate', { model: CODER, prompt: `fails mid-stream ${i}`, suffix: '\n' }, { token }).catch(ignore);
      return;
    case 2:
      await relay.post('/api/chat', chatBody(THINKER, `reset mid-stream ${i}`), { token }).catch(ignore);
      return;
    case 3: {
      const controller = new AbortController();
      await relay.post('/api/chat', chatBody(CHAT, `client leaves ${i}`), { token, signal: controller.signal, onChunk: () => controller.abort() }).catch(ignore);
      return;
    }
    case 4:
      await relay.post('/api/chat', chatBody(CHAT, `cached ${i % 10}`, { options: { temperature: 0 } }), { token }).catch(ignore);
      return;
    case 5:
      await relay.post('/v1/chat/completions', { model: CHAT, stream: true, messages: [{ role: 'user', content: `sse ${i}` }] }, { token }).catch(ignore);
      return;
    case 6:
      await relay.post('/api/generate', { model: CODER, prompt: `keystroke ${i}`, suffix: '\n' }, { token, headers: { 'X-Relay-Supersede': `doc-${i}` } }).catch(ignore);
      return;
    default:
      await relay.post('/api/embed', { model: EMBEDDER, input: `embed ${i}` }, { token }).catch(ignore);
  }
}

async function burst(relay: TestRelay, count: number, request: (relay: TestRelay, i: number) => Promise<void> = oneRequest): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) await request(relay, next++);
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
}

describe('scale: memory after a burst with faults', () => {
  const teardown = new Teardown();
  let fake: FakeOllama;
  after(() => teardown.run());

  it(`returns near its baseline heap after ${BURST} requests with faults, and still serves`, async function () {
    this.timeout(60_000);
    const gc = garbageCollector();
    fake = await startFake(teardown);
    fake.behave({ tokens: 12, tokenDelayMs: 1 });
    fake.behave({ errorAfterTokens: 3 }, CODER);
    fake.behave({ dropAfterTokens: 3 }, THINKER);
    const relay = await startTestRelay(teardown, [fake.url], { MAX_INFLIGHT_PER_TOKEN: '16', MAX_QUEUE: '1000', RATE_LIMIT_RPM: '10000' }, new NullLog());

    await burst(relay, 80);
    await fake.waitFor((f) => f.stats.activeGenerations === 0, 5000, 'the warm-up to end');
    fake.reset();
    fake.behave({ tokens: 12, tokenDelayMs: 1 });
    fake.behave({ errorAfterTokens: 3 }, CODER);
    fake.behave({ dropAfterTokens: 3 }, THINKER);
    const baseline = await settledHeap(gc);

    await burst(relay, BURST);
    await fake.waitFor((f) => f.stats.activeGenerations === 0, 10_000, 'the burst to end');
    assert.ok(fake.stats.generationsFailed > 0 && fake.stats.generationsAborted > 0, `the burst carried faults: ${JSON.stringify(fake.stats)}`);
    fake.reset();
    const after = await settledHeap(gc);

    const growth = after - baseline;
    assert.ok(growth < ALLOWED_GROWTH_BYTES, `heap grew by ${(growth / MiB).toFixed(1)} MiB after ${BURST} requests (allowed ${ALLOWED_GROWTH_BYTES / MiB} MiB)`);
    const still = await relay.post('/api/chat', chatBody(CHAT, 'still serving'));
    assert.equal(still.status, 200);
    assert.ok(doneRecord(ndjsonLines(still.body)));
  });

  it('does not keep finished requests for every distinct X-Relay-Supersede key it has seen', async function () {
    this.timeout(60_000);
    const gc = garbageCollector();
    const quiet = await startFake(teardown);
    quiet.behave({ tokens: 4 });
    const relay = await startTestRelay(teardown, [quiet.url], { MAX_INFLIGHT_PER_TOKEN: '16', MAX_QUEUE: '1000', RATE_LIMIT_RPM: '10000' }, new NullLog());
    // Each request names its own document, as an editor with many files (or a hostile client) would.
    const keyed = (target: TestRelay, i: number): Promise<void> =>
      target.post('/api/generate', { model: CODER, prompt: `doc ${i}`, suffix: '\n' }, { headers: { 'X-Relay-Supersede': `document-${i}` } }).then(() => undefined);
    await burst(relay, 100, keyed);
    quiet.reset();
    quiet.behave({ tokens: 4 });
    const baseline = await settledHeap(gc);

    await burst(relay, 1000, (target, i) => keyed(target, i + 100));
    quiet.reset();
    const after = await settledHeap(gc);

    const growth = after - baseline;
    // Without per-key retention 1000 requests leave well under 2 MiB behind; one kept exchange per key is several KiB each.
    assert.ok(growth < 4 * MiB, `heap grew by ${(growth / MiB).toFixed(1)} MiB after 1000 requests with distinct supersede keys`);
  });
});
