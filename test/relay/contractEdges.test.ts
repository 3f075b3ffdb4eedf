/**
 * Edges of the contract found by probing the relay as an outside client: answers from a live Ollama
 * never take it out of rotation, /v1 streams obey the idle deadline, Ollama's own errors keep their
 * status on /v1, JSON null is "not set", client request ids cannot defeat supersede, tool results keep
 * their call, and unsupported OpenAI parameters are refused rather than ignored.
 */
import assert from 'node:assert/strict';
import { ALICE, bearer, CHAT, CODER, type Rig, startRig } from './helpers/harness';
import { isRecord, rawRequest, type RawResponse } from './helpers/rawHttp';
import { sseData } from './helpers/sse';

function post(rig: Rig, path: string, body: unknown, headers: Record<string, string> = {}): Promise<RawResponse> {
  return rawRequest(`${rig.relay.url}${path}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...bearer(ALICE), ...headers },
    body: JSON.stringify(body),
  });
}

describe('relay: contract edges', () => {
  let rig: Rig;

  before(async () => {
    rig = await startRig({ STREAM_IDLE_TIMEOUT_MS: '400' });
  });
  afterEach(() => rig.fake.reset());
  after(() => rig.close());

  it("keeps the only upstream in rotation when Ollama answers 503 'server busy' for one model", async () => {
    rig.fake.behave({ errorBeforeStream: { status: 503, message: 'server busy, please try again.  maximum pending requests exceeded' } }, CHAT);
    for (let i = 0; i < 3; i += 1) {
      const busy = await post(rig, '/api/chat', { model: CHAT, messages: [{ role: 'user', content: 'hi' }], stream: false });
      assert.equal(busy.status, 503, busy.body);
      assert.match(busy.body, /server busy/);
    }
    const healthy = await post(rig, '/api/generate', { model: CODER, prompt: 'x', stream: false });
    assert.equal(healthy.status, 200, healthy.body);
    const ready = await rawRequest(`${rig.relay.url}/readyz`);
    assert.equal(ready.status, 200, ready.body);
  });

  it('ends a silent /v1 stream with an error object and [DONE] after STREAM_IDLE_TIMEOUT_MS, and stops the upstream', async () => {
    rig.fake.behave({ tokens: 4, tokenDelayMs: 2_000 }, CHAT);
    const response = await post(rig, '/v1/chat/completions', { model: CHAT, stream: true, messages: [{ role: 'user', content: 'slow' }] });
    const events = sseData(response.body);
    assert.equal(events.at(-1), '[DONE]');
    const last = JSON.parse(events.at(-2) ?? '{}') as unknown;
    assert.ok(isRecord(last) && isRecord(last.error), response.body);
    assert.match(String(last.error.message), /stalled/);
    await rig.fake.waitFor((fake) => fake.stats.activeGenerations === 0, 3_000, 'the stalled generation to be stopped');
    assert.equal(rig.fake.stats.generationsCompleted, 0);
  });

  it("keeps Ollama's 500 and message when a non-streaming /v1 generation fails midway", async () => {
    rig.fake.behave({ errorAfterTokens: 2, errorMessage: 'model runner has unexpectedly stopped' }, CHAT);
    const response = await post(rig, '/v1/chat/completions', { model: CHAT, messages: [{ role: 'user', content: 'x' }] });
    assert.equal(response.status, 500, response.body);
    const body = JSON.parse(response.body) as unknown;
    assert.ok(isRecord(body) && isRecord(body.error));
    assert.equal(body.error.message, 'model runner has unexpectedly stopped');
  });

  it('passes native fields set to null through (Ollama reads null as "not set")', async () => {
    const response = await post(rig, '/api/generate', { model: CHAT, prompt: 'x', stream: false, options: null, keep_alive: null, images: null, system: null, format: null });
    assert.equal(response.status, 200, response.body);
    const seen = rig.fake.requests.find((request) => request.path === '/api/generate');
    assert.ok(seen && isRecord(seen.body));
    assert.equal(seen.body.options, null);
    assert.equal(seen.body.keep_alive, null);
  });

  it('supersedes an earlier request even when the client reuses its X-Request-Id', async () => {
    rig.fake.behave({ tokens: 40, tokenDelayMs: 50 }, CODER);
    const headers = { 'X-Relay-Supersede': 'doc-1', 'X-Request-Id': 'same-id' };
    const body = { model: CODER, prompt: 'def f(', suffix: '\n', stream: true };
    const first = post(rig, '/api/generate', body, headers);
    await rig.fake.waitFor((fake) => fake.stats.tokensProduced > 0, 3_000, 'the first completion to stream');
    const second = await post(rig, '/api/generate', body, headers);
    assert.equal(second.status, 200);
    const earlier = await first;
    assert.equal(earlier.aborted || !earlier.body.includes('"done":true'), true, 'the earlier request was cut off');
    assert.ok(rig.fake.stats.generationsAborted >= 1, 'the earlier generation was stopped at Ollama');
  });

  it('forwards a tool result with the name of the call it answers', async () => {
    const response = await post(rig, '/v1/chat/completions', {
      model: CHAT,
      messages: [
        { role: 'user', content: 'weather?' },
        { role: 'assistant', content: '', tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Oslo"}' } }] },
        { role: 'tool', tool_call_id: 'call_1', content: '20C' },
      ],
    });
    assert.equal(response.status, 200, response.body);
    const seen = rig.fake.requests.find((request) => request.path === '/api/chat');
    assert.ok(seen && isRecord(seen.body) && Array.isArray(seen.body.messages));
    const toolMessage = seen.body.messages.at(-1) as unknown;
    assert.ok(isRecord(toolMessage));
    assert.equal(toolMessage.tool_name, 'get_weather');
    assert.equal(toolMessage.tool_call_id, 'call_1');
  });

  it('refuses n > 1 instead of silently answering one choice', async () => {
    const response = await post(rig, '/v1/chat/completions', { model: CHAT, n: 2, messages: [{ role: 'user', content: 'x' }] });
    assert.equal(response.status, 400, response.body);
    assert.match(response.body, /only n=1/);
  });
});
