/**
 * Admission per token: in-flight cap with a queue, queue and rate limits (429 + Retry-After), completion
 * priority and its queue deadline, supersede of queued and running requests, and isolation of tokens.
 */
import assert from 'node:assert/strict';
import type { FakeOllama } from '../fakes/fakeOllama';
import { fakeReplyTokens } from '../fakes/fakeOllama';
import type { Received } from './support/http';
import { doneRecord, isRecord, metricValue, nativeText, ndjsonLines, relayObject } from './support/http';
import { ALICE, BOB, CHAT, CODER, chatBody, startTestRelay, Teardown, type TestRelay } from './support/rig';
import { useSuiteFake } from './support/useSuiteFake';
import { waitUntil } from './support/wait';

async function queued(relay: TestRelay): Promise<number | undefined> {
  return metricValue((await relay.get('/metrics')).body, 'relay_queued_requests');
}

async function waitQueued(relay: TestRelay, count: number): Promise<void> {
  await waitUntil(async () => (await queued(relay)) === count, 3000, `${count} request(s) to wait in the queue`);
}

/** The prompt or last user message of every inference request the fake received, in arrival order. */
function arrivals(fake: FakeOllama): string[] {
  return fake.requests.flatMap((request) => {
    const body = request.body;
    if (!isRecord(body)) return [];
    if (request.path === '/api/generate' && typeof body.prompt === 'string') return [body.prompt];
    if (request.path === '/api/chat' && Array.isArray(body.messages)) {
      const last: unknown = body.messages.at(-1);
      return isRecord(last) && typeof last.content === 'string' ? [last.content] : [];
    }
    return [];
  });
}

function retryAfterSeconds(response: Received): number {
  const header = response.headers['retry-after'];
  assert.ok(typeof header === 'string' && /^\d+$/.test(header), `Retry-After is a whole number of seconds, got ${String(header)}`);
  return Number(header);
}

describe('scale: admission', () => {
  const teardown = new Teardown();
  const suite = useSuiteFake(teardown, { settleMs: 5000 });

  it('queues a second request beyond MAX_INFLIGHT_PER_TOKEN=1 and serves it after the first, reporting queue_ms', async () => {
    suite.fake.behave({ tokens: 10, tokenDelayMs: 30 });
    const relay = await startTestRelay(teardown, [suite.fake.url], { MAX_INFLIGHT_PER_TOKEN: '1' });
    const first = relay.post('/api/chat', chatBody(CHAT, 'first'));
    await suite.fake.waitFor((f) => f.stats.generationsStarted === 1, 2000, 'the first generation');
    const second = relay.post('/api/chat', chatBody(CHAT, 'second'));
    await waitQueued(relay, 1);

    const [a, b] = await Promise.all([first, second]);
    assert.equal(a.status, 200);
    assert.equal(b.status, 200);
    assert.equal(nativeText(ndjsonLines(b.body)), fakeReplyTokens('second', 10).join(''));
    const queueMs = relayObject(doneRecord(ndjsonLines(b.body)))?.queue_ms;
    assert.ok(typeof queueMs === 'number' && queueMs > 0, `queue_ms of the queued request is positive, got ${String(queueMs)}`);
    assert.equal(relayObject(doneRecord(ndjsonLines(a.body)))?.queue_ms, 0);
    const [upFirst, upSecond] = suite.fake.requestsTo('/api/chat');
    assert.ok(upFirst?.closedAt !== undefined && upSecond !== undefined && upSecond.receivedAt >= upFirst.closedAt, 'the second reached Ollama only after the first ended');
  });

  it('answers 429 with Retry-After when MAX_QUEUE requests already wait', async () => {
    suite.fake.behave({ tokens: 10, tokenDelayMs: 30 });
    const relay = await startTestRelay(teardown, [suite.fake.url], { MAX_INFLIGHT_PER_TOKEN: '1', MAX_QUEUE: '1' });
    const running = relay.post('/api/chat', chatBody(CHAT, 'running'));
    await suite.fake.waitFor((f) => f.stats.generationsStarted === 1, 2000, 'the running generation');
    const waiting = relay.post('/api/chat', chatBody(CHAT, 'waiting'));
    await waitQueued(relay, 1);

    const refused = await relay.post('/api/chat', chatBody(CHAT, 'one too many'));
    assert.equal(refused.status, 429);
    assert.ok(retryAfterSeconds(refused) >= 1);
    const body: unknown = JSON.parse(refused.body);
    assert.ok(isRecord(body) && typeof body.error === 'string', refused.body);

    assert.equal((await running).status, 200);
    assert.equal((await waiting).status, 200);
    assert.deepEqual(arrivals(suite.fake), ['running', 'waiting'], 'the refused request never reached Ollama');
  });

  it('answers 429 with Retry-After once RATE_LIMIT_RPM is used up', async () => {
    const relay = await startTestRelay(teardown, [suite.fake.url], { RATE_LIMIT_RPM: '3' });
    for (let i = 0; i < 3; i += 1) assert.equal((await relay.post('/api/chat', chatBody(CHAT, `allowed ${i}`))).status, 200);

    const limited = await relay.post('/api/chat', chatBody(CHAT, 'over the limit'));
    assert.equal(limited.status, 429);
    const seconds = retryAfterSeconds(limited);
    assert.ok(seconds >= 1 && seconds <= 60, `Retry-After within the one-minute window, got ${seconds}`);
    const openai = await relay.post('/v1/chat/completions', { model: CHAT, messages: [{ role: 'user', content: 'over the limit' }] });
    assert.equal(openai.status, 429);
    retryAfterSeconds(openai);
    const error: unknown = JSON.parse(openai.body);
    assert.ok(isRecord(error) && isRecord(error.error) && error.error.type === 'rate_limit_error', openai.body);
    assert.equal(arrivals(suite.fake).length, 3);
  });

  it('admits queued completions (suffix, raw, X-Relay-Priority) ahead of queued chats, each kind in arrival order', async () => {
    suite.fake.behave({ tokens: 15, tokenDelayMs: 20 });
    const relay = await startTestRelay(teardown, [suite.fake.url], { MAX_INFLIGHT_PER_TOKEN: '1', FIM_QUEUE_DEADLINE_MS: '20000' });
    const blocker = relay.post('/api/chat', chatBody(CHAT, 'blocker'));
    await suite.fake.waitFor((f) => f.stats.generationsStarted === 1, 2000, 'the blocking generation');

    const pending: Array<Promise<Received>> = [];
    const enqueue = async (request: Promise<Received>): Promise<void> => {
      pending.push(request);
      await waitQueued(relay, pending.length);
    };
    await enqueue(relay.post('/api/chat', chatBody(CHAT, 'chat one')));
    await enqueue(relay.post('/api/chat', chatBody(CHAT, 'chat two')));
    await enqueue(relay.post('/api/generate', { model: CODER, prompt: 'def add(a, b):', suffix: '\n\nprint(add(1, 2))' }));
    await enqueue(relay.post('/api/generate', { model: CODER, prompt: '<|fim_prefix|>x = <|fim_suffix|>\n<|fim_middle|>', raw: true }));
    await enqueue(relay.post('/api/chat', chatBody(CHAT, 'flagged completion'), { headers: { 'X-Relay-Priority': 'completion' } }));

    const responses = await Promise.all([blocker, ...pending]);
    for (const response of responses) assert.equal(response.status, 200, response.body);
    assert.deepEqual(arrivals(suite.fake), [
      'blocker',
      'def add(a, b):',
      '<|fim_prefix|>x = <|fim_suffix|>\n<|fim_middle|>',
      'flagged completion',
      'chat one',
      'chat two',
    ]);
  });

  it('drops a queued completion older than FIM_QUEUE_DEADLINE_MS with 503 and never sends it upstream', async () => {
    suite.fake.behave({ tokens: 40, tokenDelayMs: 25 });
    const relay = await startTestRelay(teardown, [suite.fake.url], { MAX_INFLIGHT_PER_TOKEN: '1', FIM_QUEUE_DEADLINE_MS: '200' });
    const blocker = relay.post('/api/chat', chatBody(CHAT, 'blocker'));
    await suite.fake.waitFor((f) => f.stats.generationsStarted === 1, 2000, 'the blocking generation');

    const dropped = await relay.post('/api/generate', { model: CODER, prompt: 'stale keystroke', suffix: '\n' });
    assert.equal(dropped.status, 503);
    const body: unknown = JSON.parse(dropped.body);
    assert.ok(isRecord(body) && typeof body.error === 'string', dropped.body);

    assert.equal((await blocker).status, 200);
    await suite.fake.waitFor((f) => f.stats.activeGenerations === 0, 2000, 'the blocker to end');
    assert.deepEqual(arrivals(suite.fake), ['blocker'], 'the dropped completion never reached Ollama');
  });

  it('cancels a queued request superseded by a newer one with the same key: it never reaches Ollama and its connection is closed', async () => {
    suite.fake.behave({ tokens: 15, tokenDelayMs: 20 });
    const relay = await startTestRelay(teardown, [suite.fake.url], { MAX_INFLIGHT_PER_TOKEN: '1', FIM_QUEUE_DEADLINE_MS: '20000' });
    const blocker = relay.post('/api/chat', chatBody(CHAT, 'blocker'));
    await suite.fake.waitFor((f) => f.stats.generationsStarted === 1, 2000, 'the blocking generation');
    const doc = { 'X-Relay-Supersede': 'doc-1' };
    const older = relay.post('/api/generate', { model: CODER, prompt: 'older keystroke', suffix: '\n' }, { headers: doc }).then(
      (received) => received,
      (error: unknown) => (error instanceof Error ? error : new Error(String(error))),
    );
    await waitQueued(relay, 1);

    const newer = await relay.post('/api/generate', { model: CODER, prompt: 'newer keystroke', suffix: '\n' }, { headers: doc });

    assert.equal(newer.status, 200);
    assert.equal(nativeText(ndjsonLines(newer.body)), fakeReplyTokens('newer keystroke', 15).join(''));
    const olderOutcome = await older;
    assert.ok(olderOutcome instanceof Error, `the superseded request got no answer, only a closed connection (got ${olderOutcome instanceof Error ? '' : olderOutcome.status})`);
    assert.equal((await blocker).status, 200);
    assert.deepEqual(arrivals(suite.fake), ['blocker', 'newer keystroke'], 'the superseded request never reached Ollama');
  });

  it('aborts a running request superseded by a newer one with the same key, upstream and on its client connection', async () => {
    suite.fake.behave({ tokens: 60, tokenDelayMs: 25 });
    const relay = await startTestRelay(teardown, [suite.fake.url]);
    const doc = { 'X-Relay-Supersede': 'doc-2' };
    let olderBytes = 0;
    const older = relay
      .post('/api/generate', { model: CODER, prompt: 'older keystroke', suffix: '\n' }, { headers: doc, onChunk: (bytes) => (olderBytes += bytes.length) })
      .then(
        (received) => received,
        (error: unknown) => (error instanceof Error ? error : new Error(String(error))),
      );
    await waitUntil(() => olderBytes > 0 && suite.fake.stats.tokensProduced >= 3, 3000, 'the older request to be streaming');

    suite.fake.markClientGone();
    const newer = await relay.post('/api/generate', { model: CODER, prompt: 'newer keystroke', suffix: '\n' }, { headers: doc });

    assert.equal(newer.status, 200);
    assert.equal(doneRecord(ndjsonLines(newer.body))?.done, true);
    await suite.fake.waitFor((f) => f.stats.generationsAborted === 1, 2000, 'the older generation to be aborted');
    assert.equal(suite.fake.stats.tokensAfterClientGone, 0, 'no tokens were generated for the superseded request');
    const olderOutcome = await older;
    const closed = olderOutcome instanceof Error || olderOutcome.cut;
    assert.ok(
      closed,
      `the superseded request's connection is closed (499 style), not ended normally; it received: ${olderOutcome instanceof Error ? olderOutcome.message : olderOutcome.body.split('\n').slice(-2).join(' | ')}`,
    );
  });

  it("queues per token: one token's full in-flight slots and queue do not delay another token", async () => {
    suite.fake.behave({ tokens: 30, tokenDelayMs: 25 });
    const relay = await startTestRelay(teardown, [suite.fake.url], { MAX_INFLIGHT_PER_TOKEN: '1', MAX_QUEUE: '1' });
    const aliceRunning = relay.post('/api/chat', chatBody(CHAT, 'alice running'), { token: ALICE });
    await suite.fake.waitFor((f) => f.stats.generationsStarted === 1, 2000, "alice's generation");
    const aliceQueued = relay.post('/api/chat', chatBody(CHAT, 'alice queued'), { token: ALICE });
    await waitQueued(relay, 1);
    assert.equal((await relay.post('/api/chat', chatBody(CHAT, 'alice refused'), { token: ALICE })).status, 429, "alice's queue is full");

    const bob = await relay.post('/api/chat', chatBody(CHAT, 'bob'), { token: BOB });
    assert.equal(bob.status, 200);
    assert.equal(relayObject(doneRecord(ndjsonLines(bob.body)))?.queue_ms, 0, 'bob did not wait');
    assert.equal((await aliceRunning).status, 200);
    assert.equal((await aliceQueued).status, 200);
    const upstream = (prompt: string) => suite.fake.requestsTo('/api/chat').find((request) => request.rawBody.includes(prompt));
    const aliceClosed = upstream('alice running')?.closedAt;
    const bobArrived = upstream('"bob"')?.receivedAt;
    assert.ok(aliceClosed !== undefined && bobArrived !== undefined && bobArrived < aliceClosed, "bob reached Ollama while alice's first request was still running");
    assert.deepEqual(arrivals(suite.fake), ['alice running', 'bob', 'alice queued']);
  });

  it("rate-limits per token: one token's exhausted budget does not limit another", async () => {
    const relay = await startTestRelay(teardown, [suite.fake.url], { RATE_LIMIT_RPM: '2' });
    for (let i = 0; i < 2; i += 1) assert.equal((await relay.post('/api/chat', chatBody(CHAT, `alice ${i}`), { token: ALICE })).status, 200);
    assert.equal((await relay.post('/api/chat', chatBody(CHAT, 'alice again'), { token: ALICE })).status, 429);
    for (let i = 0; i < 2; i += 1) assert.equal((await relay.post('/api/chat', chatBody(CHAT, `bob ${i}`), { token: BOB })).status, 200);
    assert.deepEqual(arrivals(suite.fake), ['alice 0', 'alice 1', 'bob 0', 'bob 1']);
  });
});
