/**
 * Several Ollama hosts behind one relay: failover before the first byte, Ollama's own errors kept,
 * terminal error frames after it, the circuit breaker, health reporting and routing.
 */
import assert from 'node:assert/strict';
import { fakeReplyTokens } from '../fakes/fakeOllama';
import { doneRecord, isRecord, metricValue, nativeText, ndjsonLines, relayObject, sseChatText, sseData, sseObjects } from './support/http';
import { closedPort } from '../support/net';
import { CHAT, CODER, chatBody, inferenceCount, preload, startFake, startTestRelay, Teardown } from './support/rig';
import { waitUntil } from './support/wait';

interface ReadyUpstream {
  upstream: string;
  state: string;
  ok: boolean;
  resident: string[];
  error?: string;
}

function readyUpstreams(body: string): ReadyUpstream[] {
  const parsed: unknown = JSON.parse(body);
  if (!isRecord(parsed) || !Array.isArray(parsed.upstreams)) throw new Error(`unexpected /readyz body: ${body}`);
  return parsed.upstreams.filter(isRecord).map((entry) => ({
    upstream: String(entry.upstream),
    state: String(entry.state),
    ok: entry.ok === true,
    resident: Array.isArray(entry.resident) ? entry.resident.map(String) : [],
    ...(typeof entry.error === 'string' ? { error: entry.error } : {}),
  }));
}

describe('scale: upstreams', () => {
  const teardown = new Teardown();
  afterEach(() => teardown.run());

  it('serves every request through the healthy host when the other refuses connections', async () => {
    const fake = await startFake(teardown);
    const refused = `http://127.0.0.1:${await closedPort()}`;
    const relay = await startTestRelay(teardown, [refused, fake.url]);

    const native = await Promise.all(Array.from({ length: 8 }, (_, i) => relay.post('/api/chat', chatBody(CHAT, `native ${i}`))));
    const openai = await Promise.all(
      Array.from({ length: 4 }, (_, i) => relay.post('/v1/chat/completions', { model: CHAT, stream: true, messages: [{ role: 'user', content: `openai ${i}` }] })),
    );

    native.forEach((response, i) => {
      assert.equal(response.status, 200, response.body);
      const lines = ndjsonLines(response.body);
      assert.equal(nativeText(lines), fakeReplyTokens(`native ${i}`).join(''));
      assert.equal(relayObject(doneRecord(lines))?.upstream, fake.url);
    });
    openai.forEach((response, i) => {
      assert.equal(response.status, 200, response.body);
      assert.equal(sseChatText(sseObjects(response.body)), fakeReplyTokens(`openai ${i}`).join(''));
      assert.ok(!sseObjects(response.body).some((event) => 'error' in event), response.body);
      assert.equal(sseData(response.body).at(-1), '[DONE]');
    });
    assert.equal(fake.requestsTo('/api/chat').length, 12, 'each request was generated exactly once');
  });

  it('fails over when a host accepts the connection but sends no headers within FIRST_BYTE_TIMEOUT_MS', async () => {
    const stalled = await startFake(teardown);
    const healthy = await startFake(teardown);
    // The model is resident on the stalled host, so the relay tries it first.
    await preload(stalled, CHAT);
    stalled.behave({ hangBeforeHeaders: true }, CHAT);
    const relay = await startTestRelay(teardown, [stalled.url, healthy.url], { FIRST_BYTE_TIMEOUT_MS: '300' });
    const ready = readyUpstreams((await relay.get('/readyz')).body);
    assert.deepEqual(ready.find((entry) => entry.upstream === stalled.url)?.resident, [CHAT]);

    const response = await relay.post('/api/chat', chatBody(CHAT, 'stall then fail over'));

    assert.equal(response.status, 200, response.body);
    const lines = ndjsonLines(response.body);
    assert.equal(nativeText(lines), fakeReplyTokens('stall then fail over').join(''));
    assert.equal(relayObject(doneRecord(lines))?.upstream, healthy.url);
    const tried = stalled.requestsTo('/api/chat');
    assert.equal(tried.length, 1, 'the stalled host was tried first');
    await waitUntil(() => tried[0]?.closedAt !== undefined, 2000, 'the relay to give up on the stalled request');
    assert.equal(tried[0]?.closedEarly, true, 'the relay closed the stalled request');
    assert.equal(healthy.requestsTo('/api/chat').length, 1);
  });

  it("keeps Ollama's status and message for an HTTP error before the stream, in both dialects, without retrying", async () => {
    const failing = await startFake(teardown);
    const other = await startFake(teardown);
    await preload(failing, CHAT);
    failing.behave({ errorBeforeStream: { status: 500, message: 'llama runner process has terminated: exit status 2' } }, CHAT);
    const relay = await startTestRelay(teardown, [failing.url, other.url]);
    await relay.get('/readyz');

    const native = await relay.post('/api/chat', chatBody(CHAT, 'crash'));
    assert.equal(native.status, 500);
    assert.deepEqual(JSON.parse(native.body), { error: 'llama runner process has terminated: exit status 2' });

    const openai = await relay.post('/v1/chat/completions', { model: CHAT, stream: true, messages: [{ role: 'user', content: 'crash' }] });
    assert.equal(openai.status, 500);
    const error: unknown = JSON.parse(openai.body);
    assert.ok(isRecord(error) && isRecord(error.error), openai.body);
    assert.equal(error.error.message, 'llama runner process has terminated: exit status 2');

    assert.equal(inferenceCount(failing), 2, 'each request reached Ollama once');
    assert.equal(inferenceCount(other), 0, 'an answer from Ollama is not retried elsewhere');
  });

  describe('a stream that fails after some tokens ends with one terminal error frame and is not spliced', () => {
    const faults = [
      { name: 'an error line from Ollama', knobs: { errorAfterTokens: 3 } },
      { name: 'a connection reset', knobs: { dropAfterTokens: 3 } },
      { name: 'a malformed line', knobs: { malformedAfterTokens: 3 } },
    ] as const;

    for (const fault of faults) {
      it(`native NDJSON: ${fault.name}`, async () => {
        const broken = await startFake(teardown);
        const spare = await startFake(teardown);
        await preload(broken, CHAT);
        broken.behave({ ...fault.knobs, tokenDelayMs: 5 }, CHAT);
        const relay = await startTestRelay(teardown, [broken.url, spare.url]);
        await relay.get('/readyz');

        const response = await relay.post('/api/chat', chatBody(CHAT, 'one two three four five six'));

        assert.equal(response.status, 200);
        assert.equal(response.cut, false, 'the relay ended the body itself instead of dropping the connection');
        const lines = ndjsonLines(response.body);
        const notJson = lines.filter((line) => line.value === undefined).map((line) => line.raw);
        assert.deepEqual(notJson, [], 'every line the client received is JSON');
        const last = lines.at(-1)?.value;
        assert.equal(typeof last?.error, 'string', `the last line is {"error":…}; body: ${response.body}`);
        assert.equal(lines.filter((line) => line.value && 'error' in line.value).length, 1, 'exactly one error line');
        assert.equal(doneRecord(lines), undefined, 'no final done record after a failure');
        assert.equal(nativeText(lines), fakeReplyTokens('one two three four five six').slice(0, 3).join(''), 'the tokens before the failure, unchanged');
        assert.equal(inferenceCount(spare), 0, 'nothing was retried on another host after the first byte');
      });

      it(`OpenAI SSE: ${fault.name}`, async () => {
        const broken = await startFake(teardown);
        const spare = await startFake(teardown);
        await preload(broken, CHAT);
        broken.behave({ ...fault.knobs, tokenDelayMs: 5 }, CHAT);
        const relay = await startTestRelay(teardown, [broken.url, spare.url]);
        await relay.get('/readyz');

        const response = await relay.post('/v1/chat/completions', { model: CHAT, stream: true, messages: [{ role: 'user', content: 'one two three four five six' }] });

        assert.equal(response.status, 200);
        const data = sseData(response.body);
        assert.equal(data.at(-1), '[DONE]', 'the stream ends with [DONE]');
        const events = sseObjects(response.body);
        const errors = events.filter((event) => isRecord(event.error));
        assert.equal(errors.length, 1, `exactly one error object; body: ${response.body}`);
        assert.equal(events.at(-1), errors[0], 'the error object is the last event before [DONE]');
        const error = errors[0]?.error;
        assert.ok(isRecord(error) && typeof error.message === 'string' && error.message !== '');
        const finished = events.some((event) => Array.isArray(event.choices) && event.choices.some((choice) => isRecord(choice) && choice.finish_reason === 'stop'));
        assert.equal(finished, false, 'no normal finish after a failure');
        assert.equal(sseChatText(events), fakeReplyTokens('one two three four five six').slice(0, 3).join(''));
        assert.equal(inferenceCount(spare), 0, 'nothing was retried on another host after the first byte');
      });
    }
  });

  it('takes a failing host out of rotation and probes it back in once it recovers', async function () {
    this.timeout(30_000);
    const flaky = await startFake(teardown);
    const steady = await startFake(teardown);
    // Resident on both, so while both are healthy the first host wins every tie.
    await preload(flaky, CHAT);
    await preload(steady, CHAT);
    const relay = await startTestRelay(teardown, [flaky.url, steady.url], { UPSTREAM_PROBE_INTERVAL_MS: '100' });
    await relay.get('/readyz');
    const before = await relay.post('/api/chat', chatBody(CHAT, 'healthy'));
    assert.equal(relayObject(doneRecord(ndjsonLines(before.body)))?.upstream, flaky.url, 'the first host serves while healthy');

    flaky.behave({ statusOverride: 503 });
    for (let i = 0; i < 4; i += 1) {
      const response = await relay.post('/api/chat', chatBody(CHAT, `during outage ${i}`));
      assert.equal(response.status, 200, response.body);
      assert.equal(relayObject(doneRecord(ndjsonLines(response.body)))?.upstream, steady.url);
    }
    // Answers from a live host (503 "server busy") fail over but do not count against it; the probes do.
    await waitUntil(
      async () => metricValue((await relay.get('/metrics')).body, 'relay_upstream_up', { upstream: flaky.url }) === 0,
      10_000,
      'the probes to take the failing host out',
      100,
    );
    assert.equal(readyUpstreams((await relay.get('/readyz')).body).find((entry) => entry.upstream === flaky.url)?.state, 'open');

    const reachedWhileOpen = inferenceCount(flaky);
    for (let i = 0; i < 10; i += 1) assert.equal((await relay.post('/api/chat', chatBody(CHAT, `taken out ${i}`))).status, 200);
    assert.equal(inferenceCount(flaky), reachedWhileOpen, 'no request reached the host while its circuit was open');

    flaky.behave({ statusOverride: undefined });
    await waitUntil(
      async () => metricValue((await relay.get('/metrics')).body, 'relay_upstream_up', { upstream: flaky.url }) === 1,
      15_000,
      'the probe to bring the recovered host back',
      100,
    );
    const after = await relay.post('/api/chat', chatBody(CHAT, 'back in rotation'));
    assert.equal(relayObject(doneRecord(ndjsonLines(after.body)))?.upstream, flaky.url, 'the recovered host serves again');
    assert.equal(inferenceCount(flaky), reachedWhileOpen + 1);
  });

  it("reports each upstream's state in /readyz and in relay_upstream_up, and 503 once none answers", async () => {
    const fake = await startFake(teardown);
    const refused = `http://127.0.0.1:${await closedPort()}`;
    const relay = await startTestRelay(teardown, [fake.url, refused]);
    await relay.get('/readyz');
    const ready = await relay.get('/readyz');

    assert.equal(ready.status, 200);
    const states = readyUpstreams(ready.body);
    assert.deepEqual(
      states.map((entry) => [entry.upstream, entry.ok]),
      [
        [fake.url, true],
        [refused, false],
      ],
    );
    assert.equal(states[0]?.state, 'closed');
    assert.match(states[1]?.error ?? '', /refused/);
    const metrics = (await relay.get('/metrics')).body;
    assert.equal(metricValue(metrics, 'relay_upstream_up', { upstream: fake.url }), 1);
    assert.equal(metricValue(metrics, 'relay_upstream_up', { upstream: refused }), 0);

    await fake.close();
    await relay.get('/readyz');
    const down = await relay.get('/readyz');
    assert.equal(down.status, 503);
    assert.deepEqual(
      readyUpstreams(down.body).map((entry) => entry.ok),
      [false, false],
    );
    const parsed: unknown = JSON.parse(down.body);
    assert.ok(isRecord(parsed) && typeof parsed.reason === 'string' && parsed.reason !== '', down.body);
  });

  it('routes a model to the host where it is already resident', async () => {
    const first = await startFake(teardown);
    const second = await startFake(teardown);
    await preload(first, CODER);
    await preload(second, CHAT);
    const relay = await startTestRelay(teardown, [first.url, second.url]);
    const ready = readyUpstreams((await relay.get('/readyz')).body);
    assert.deepEqual(
      ready.map((entry) => entry.resident),
      [[CODER], [CHAT]],
      'the two hosts report different resident models',
    );

    for (let i = 0; i < 4; i += 1) {
      const chat = await relay.post('/api/chat', chatBody(CHAT, `chat ${i}`));
      assert.equal(relayObject(doneRecord(ndjsonLines(chat.body)))?.upstream, second.url);
      const generate = await relay.post('/api/generate', { model: CODER, prompt: `code ${i}` });
      assert.equal(relayObject(doneRecord(ndjsonLines(generate.body)))?.upstream, first.url);
    }
    assert.equal(first.requestsTo('/api/chat').length, 0);
    assert.equal(inferenceCount(second) - second.requestsTo('/api/chat').length, 0, 'no generate went to the chat host');
  });

  it("keeps a document's requests (same supersede key) on the host that served it first", async () => {
    const first = await startFake(teardown);
    const second = await startFake(teardown);
    await preload(first, CHAT);
    await preload(second, CHAT);
    first.behave({ tokens: 30, tokenDelayMs: 20 });
    const relay = await startTestRelay(teardown, [first.url, second.url]);
    await relay.get('/readyz');

    // A long request keeps the first host busy, so the document's first request lands on the second.
    const busy = relay.post('/api/chat', chatBody(CHAT, 'long answer'));
    await first.waitFor((f) => f.stats.generationsStarted === 1, 2000, 'the long request to start');
    const opening = await relay.post('/api/chat', chatBody(CHAT, 'doc edit 0'), { headers: { 'X-Relay-Supersede': 'doc-7' } });
    assert.equal(relayObject(doneRecord(ndjsonLines(opening.body)))?.upstream, second.url);
    assert.equal(relayObject(doneRecord(ndjsonLines((await busy).body)))?.upstream, first.url);

    // Both hosts are idle now and the first wins ties, yet the document stays where it started.
    for (let i = 1; i <= 4; i += 1) {
      const edit = await relay.post('/api/chat', chatBody(CHAT, `doc edit ${i}`), { headers: { 'X-Relay-Supersede': 'doc-7' } });
      assert.equal(relayObject(doneRecord(ndjsonLines(edit.body)))?.upstream, second.url, `edit ${i} stayed on the document's host`);
    }
    const unrelated = await relay.post('/api/chat', chatBody(CHAT, 'another document'), { headers: { 'X-Relay-Supersede': 'doc-8' } });
    assert.equal(relayObject(doneRecord(ndjsonLines(unrelated.body)))?.upstream, first.url, 'without history the tie goes to the first host');
  });
});
