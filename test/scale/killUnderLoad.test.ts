/**
 * One of two hosts dies while 40 streams are in flight or queued: every request that had not started
 * streaming is served in full by the survivor; every stream that had started ends with an error frame.
 */
import assert from 'node:assert/strict';
import { fakeReplyTokens } from '../fakes/fakeOllama';
import type { Received } from './support/http';
import { doneRecord, isRecord, nativeText, ndjsonLines, sseChatText, sseData, sseObjects } from './support/http';
import { ALICE, BOB, CHAT, CODER, chatBody, startFake, startTestRelay, Teardown } from './support/rig';
import { waitUntil, within } from './support/wait';

interface Outcome {
  kind: 'native' | 'openai';
  /** a FIM request still waiting for its first token when the host died */
  waitingForFirstToken: boolean;
  expected: string;
  received: Received;
}

/** What the client saw: the whole answer, or some tokens then one terminal error frame. */
function classify(outcome: Outcome): { complete: boolean; text: string; errorFrame: boolean } {
  if (outcome.kind === 'native') {
    const lines = ndjsonLines(outcome.received.body);
    const last = lines.at(-1)?.value;
    return { complete: doneRecord(lines) !== undefined && !lines.some((line) => line.value && 'error' in line.value), text: nativeText(lines), errorFrame: typeof last?.error === 'string' };
  }
  const events = sseObjects(outcome.received.body);
  const errorFrame = isRecord(events.at(-1)?.error) && sseData(outcome.received.body).at(-1) === '[DONE]';
  const complete = !events.some((event) => 'error' in event) && sseData(outcome.received.body).at(-1) === '[DONE]';
  return { complete, text: sseChatText(events), errorFrame };
}

describe('scale: a host killed under load', () => {
  const teardown = new Teardown();
  after(() => teardown.run());

  it('serves every request that had not started streaming and ends every started stream with an error frame', async function () {
    this.timeout(40_000);
    const doomed = await startFake(teardown);
    const survivor = await startFake(teardown);
    for (const fake of [doomed, survivor]) {
      fake.behave({ tokens: 25, tokenDelayMs: 20 });
      // Completions wait a while for their first token: some are connected to the doomed host, not yet streaming.
      fake.behave({ firstTokenDelayMs: 600, tokens: 5 }, CODER);
    }
    const relay = await startTestRelay(teardown, [doomed.url, survivor.url], { MAX_INFLIGHT_PER_TOKEN: '12', MAX_QUEUE: '64' });

    const requests: Array<Promise<Outcome>> = [];
    for (let i = 0; i < 40; i += 1) {
      const token = i % 2 === 0 ? ALICE : BOB;
      const text = `load ${i}`;
      if (i % 5 === 4) {
        requests.push(relay.post('/api/generate', { model: CODER, prompt: text }, { token, timeoutMs: 30_000 }).then((received) => ({ kind: 'native', waitingForFirstToken: true, expected: fakeReplyTokens(text, 5).join(''), received })));
      } else if (i % 5 === 3) {
        requests.push(
          relay
            .post('/v1/chat/completions', { model: CHAT, stream: true, messages: [{ role: 'user', content: text }] }, { token, timeoutMs: 30_000 })
            .then((received) => ({ kind: 'openai', waitingForFirstToken: false, expected: fakeReplyTokens(text, 25).join(''), received })),
        );
      } else {
        requests.push(relay.post('/api/chat', chatBody(CHAT, text), { token, timeoutMs: 30_000 }).then((received) => ({ kind: 'native', waitingForFirstToken: false, expected: fakeReplyTokens(text, 25).join(''), received })));
      }
    }
    await waitUntil(() => doomed.stats.tokensProduced >= 40 && doomed.stats.activeGenerations >= 4, 10_000, 'the doomed host to be streaming');
    await doomed.close();

    const outcomes = await within(Promise.all(requests), 30_000, 'every request to end');
    let complete = 0;
    let failedMidStream = 0;
    for (const outcome of outcomes) {
      assert.equal(outcome.received.status, 200, `a request failed before streaming: ${outcome.received.status} ${outcome.received.body}`);
      const seen = classify(outcome);
      if (seen.complete) {
        complete += 1;
        assert.equal(seen.text, outcome.expected, 'a complete answer is the whole answer, never a splice of two');
        continue;
      }
      assert.ok(seen.errorFrame, `a stream ended without a terminal error frame: ${outcome.received.body.slice(-300)}`);
      assert.ok(seen.text.length > 0, 'only a stream that had started may end with an error frame');
      assert.ok(outcome.expected.startsWith(seen.text), 'the tokens before the error frame are a prefix of the answer');
      failedMidStream += 1;
    }
    assert.ok(failedMidStream > 0, 'the kill hit streams in flight');
    assert.equal(complete + failedMidStream, 40);
    assert.ok(
      doomed.requestsTo('/api/generate').length > 0,
      'some completions were connected to the doomed host, waiting for their first token, when it died',
    );
    for (const outcome of outcomes.filter((o) => o.waitingForFirstToken)) {
      assert.ok(classify(outcome).complete, `a completion that had not started streaming failed: ${outcome.received.body.slice(-300)}`);
    }
    assert.ok(survivor.stats.generationsCompleted > 0, 'the survivor served the rest');
  });
});
