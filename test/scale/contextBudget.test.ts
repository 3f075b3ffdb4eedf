/**
 * Context budget: OpenAI-compatible routes cannot carry `num_ctx`, so the relay sets it to the model's
 * context from /api/show bounded by RELAY_MAX_CTX; native routes pass the client's options untouched.
 */
import assert from 'node:assert/strict';
import type { FakeOllama } from '../fakes/fakeOllama';
import { isRecord } from './support/http';
import { CHAT, CODER, chatBody, startTestRelay, Teardown } from './support/rig';
import { useSuiteFake } from './support/useSuiteFake';

/** `options` of the last request the fake received on `path`. */
function lastOptions(fake: FakeOllama, path: string): unknown {
  const body = fake.requestsTo(path).at(-1)?.body;
  return isRecord(body) ? body.options : undefined;
}

function numCtx(options: unknown): unknown {
  return isRecord(options) ? options.num_ctx : undefined;
}

describe('scale: context budget', () => {
  const teardown = new Teardown();
  const suite = useSuiteFake(teardown);

  it('caps num_ctx at RELAY_MAX_CTX for a model whose context is larger (/v1/chat/completions)', async () => {
    const relay = await startTestRelay(teardown, [suite.fake.url], { RELAY_MAX_CTX: '8192' });
    const response = await relay.post('/v1/chat/completions', { model: CHAT, messages: [{ role: 'user', content: 'long context model' }] });
    assert.equal(response.status, 200, response.body);
    assert.equal(numCtx(lastOptions(suite.fake, '/api/chat')), 8192, 'min(131072 from /api/show, RELAY_MAX_CTX 8192)');
  });

  it("uses the model's own context when it is below RELAY_MAX_CTX (/v1/chat/completions and /v1/completions)", async () => {
    const relay = await startTestRelay(teardown, [suite.fake.url], { RELAY_MAX_CTX: '65536' });
    assert.equal((await relay.post('/v1/chat/completions', { model: CODER, stream: true, messages: [{ role: 'user', content: 'short context model' }] })).status, 200);
    assert.equal(numCtx(lastOptions(suite.fake, '/api/chat')), 32768, 'min(32768 from /api/show, RELAY_MAX_CTX 65536)');

    assert.equal((await relay.post('/v1/completions', { model: CODER, prompt: 'def add(a, b):', suffix: '\n' })).status, 200);
    assert.equal(numCtx(lastOptions(suite.fake, '/api/generate')), 32768);
  });

  it("passes a native request's options to Ollama unchanged, and adds none when the client sent none", async () => {
    const relay = await startTestRelay(teardown, [suite.fake.url], { RELAY_MAX_CTX: '8192' });
    const withOptions = JSON.stringify(chatBody(CHAT, 'native options', { options: { num_ctx: 16384, temperature: 0.2, num_predict: 4 } }));
    assert.equal((await relay.post('/api/chat', withOptions)).status, 200);
    assert.equal(suite.fake.requestsTo('/api/chat').at(-1)?.rawBody, withOptions, 'the body reached Ollama byte for byte, num_ctx above RELAY_MAX_CTX included');

    assert.equal((await relay.post('/api/generate', { model: CODER, prompt: 'no options' })).status, 200);
    assert.equal(lastOptions(suite.fake, '/api/generate'), undefined);
  });
});
