/**
 * KEEP_WARM_MINUTES: recently used models are refreshed with an empty-prompt /api/generate carrying
 * keep_alive and the num_ctx they were used with (a different num_ctx would make Ollama reload).
 * The refresh runs every min(KEEP_WARM_INTERVAL_MS, window / 2); the test sets a short interval.
 */
import assert from 'node:assert/strict';
import type { RecordedRequest } from '../fakes/fakeOllama';
import { isRecord } from './support/http';
import { CHAT, CODER, chatBody, startFake, startTestRelay, Teardown } from './support/rig';

function isRefresh(request: RecordedRequest, model: string): boolean {
  const body = request.body;
  return request.path === '/api/generate' && isRecord(body) && body.model === model && body.prompt === '';
}

describe('scale: keep-warm', () => {
  const teardown = new Teardown();
  after(() => teardown.run());

  it('refreshes each recently used model with an empty prompt, keep_alive and the num_ctx it was used with', async function () {
    this.timeout(15_000);
    const fake = await startFake(teardown);
    const relay = await startTestRelay(teardown, [fake.url], { KEEP_WARM_MINUTES: '1', KEEP_WARM_INTERVAL_MS: '500', RELAY_MAX_CTX: '8192' });
    assert.equal((await relay.post('/api/chat', chatBody(CHAT, 'warm me', { options: { num_ctx: 4096 } }))).status, 200);
    assert.equal((await relay.post('/v1/chat/completions', { model: CODER, messages: [{ role: 'user', content: 'warm me too' }] })).status, 200);
    assert.equal(fake.requests.filter((request) => isRefresh(request, CHAT) || isRefresh(request, CODER)).length, 0, 'no refresh before the interval');

    await fake.waitFor((f) => f.requests.some((r) => isRefresh(r, CHAT)) && f.requests.some((r) => isRefresh(r, CODER)), 10_000, 'the keep-warm refresh');

    const chat = fake.requests.find((request) => isRefresh(request, CHAT))?.body;
    const coder = fake.requests.find((request) => isRefresh(request, CODER))?.body;
    assert.ok(isRecord(chat) && isRecord(coder));
    for (const body of [chat, coder]) {
      const keepAlive = body.keep_alive;
      assert.ok((typeof keepAlive === 'string' && keepAlive !== '0' && keepAlive !== '') || (typeof keepAlive === 'number' && keepAlive > 0), `keep_alive keeps the model loaded, got ${JSON.stringify(keepAlive)}`);
    }
    assert.ok(isRecord(chat.options) && chat.options.num_ctx === 4096, 'the num_ctx the native client used');
    assert.ok(isRecord(coder.options) && coder.options.num_ctx === 8192, 'the num_ctx the relay set on the /v1 route');
  });
});
