/**
 * The response cache: deterministic generations and embeddings are replayed (same framing, X-Cache: HIT,
 * Ollama not called again); everything else is not; Cache-Control: no-cache bypasses it; scope per token
 * unless CACHE_SCOPE=global; CACHE_MAX_MB bounds what it holds.
 */
import assert from 'node:assert/strict';
import type { Received } from './support/http';
import { doneRecord, isRecord, ndjsonLines, relayObject } from './support/http';
import { BOB, CHAT, CODER, EMBEDDER, chatBody, inferenceCount, startTestRelay, Teardown } from './support/rig';
import { useSuiteFake } from './support/useSuiteFake';

/** Asserts that `replay` is `original` byte for byte, except for the relay's own object in the final record. */
function assertSameStream(original: Received, replay: Received): void {
  assert.equal(replay.headers['content-type'], original.headers['content-type']);
  const a = ndjsonLines(original.body);
  const b = ndjsonLines(replay.body);
  assert.equal(b.length, a.length, 'as many NDJSON lines');
  assert.ok(replay.body.endsWith('\n'), 'every line ends with a newline');
  for (let i = 0; i < a.length - 1; i += 1) assert.equal(b[i]?.raw, a[i]?.raw, `line ${i} replayed byte for byte`);
  const withoutRelay = (value: Record<string, unknown> | undefined): Record<string, unknown> => {
    const copy = { ...value };
    delete copy.relay;
    return copy;
  };
  assert.deepEqual(withoutRelay(b.at(-1)?.value), withoutRelay(a.at(-1)?.value), 'the final record replayed');
}

describe('scale: response cache', () => {
  const teardown = new Teardown();
  const suite = useSuiteFake(teardown);

  it('replays a deterministic generation (temperature 0) in the same NDJSON framing without calling Ollama again', async () => {
    suite.fake.behave({ splitChunks: true });
    const relay = await startTestRelay(teardown, [suite.fake.url]);
    const body = { model: CODER, prompt: 'def fib(n):', options: { temperature: 0 } };

    const first = await relay.post('/api/generate', body);
    const second = await relay.post('/api/generate', body);

    assert.equal(first.headers['x-cache'], 'MISS');
    assert.equal(second.headers['x-cache'], 'HIT');
    assert.equal(second.status, 200);
    assert.equal(relayObject(doneRecord(ndjsonLines(first.body)))?.cache, 'MISS');
    assert.equal(relayObject(doneRecord(ndjsonLines(second.body)))?.cache, 'HIT');
    assertSameStream(first, second);
    assert.equal(inferenceCount(suite.fake), 1, 'Ollama generated once');
  });

  it('replays a chat with a seed, with keys in another order hitting the same entry', async () => {
    const relay = await startTestRelay(teardown, [suite.fake.url]);
    const first = await relay.post('/api/chat', chatBody(CHAT, 'seeded', { options: { seed: 42, top_k: 10 } }));
    const second = await relay.post('/api/chat', { options: { top_k: 10, seed: 42 }, messages: [{ content: 'seeded', role: 'user' }], model: CHAT });

    assert.equal(second.headers['x-cache'], 'HIT');
    assertSameStream(first, second);
    assert.equal(inferenceCount(suite.fake), 1);
  });

  it('never caches a non-deterministic generation', async () => {
    const relay = await startTestRelay(teardown, [suite.fake.url]);
    const bodies = [chatBody(CHAT, 'creative'), chatBody(CHAT, 'warm', { options: { temperature: 0.7 } })];
    for (const body of bodies) {
      const first = await relay.post('/api/chat', body);
      const second = await relay.post('/api/chat', body);
      assert.notEqual(first.headers['x-cache'], 'HIT');
      assert.notEqual(second.headers['x-cache'], 'HIT');
      assert.notEqual(relayObject(doneRecord(ndjsonLines(second.body)))?.cache, 'HIT');
    }
    assert.equal(inferenceCount(suite.fake), 4, 'every request was generated');
  });

  it('bypasses the cache for a request with Cache-Control: no-cache', async () => {
    const relay = await startTestRelay(teardown, [suite.fake.url]);
    const body = chatBody(CHAT, 'fresh please', { options: { temperature: 0 } });
    await relay.post('/api/chat', body);
    assert.equal((await relay.post('/api/chat', body)).headers['x-cache'], 'HIT');

    const fresh = await relay.post('/api/chat', body, { headers: { 'Cache-Control': 'no-cache' } });

    assert.notEqual(fresh.headers['x-cache'], 'HIT');
    assert.equal(fresh.status, 200);
    assert.equal(inferenceCount(suite.fake), 2, 'the no-cache request reached Ollama');
  });

  it("scopes entries per token: another token does not see what one token cached", async () => {
    const relay = await startTestRelay(teardown, [suite.fake.url]);
    const body = chatBody(CHAT, 'private', { options: { temperature: 0 } });
    await relay.post('/api/chat', body);

    const bob = await relay.post('/api/chat', body, { token: BOB });

    assert.equal(bob.headers['x-cache'], 'MISS');
    assert.equal(inferenceCount(suite.fake), 2);
    assert.equal((await relay.post('/api/chat', body)).headers['x-cache'], 'HIT', "alice's entry is still there for alice");
  });

  it('shares entries between tokens with CACHE_SCOPE=global', async () => {
    const relay = await startTestRelay(teardown, [suite.fake.url], { CACHE_SCOPE: 'global' });
    const body = chatBody(CHAT, 'shared', { options: { temperature: 0 } });
    const alice = await relay.post('/api/chat', body);

    const bob = await relay.post('/api/chat', body, { token: BOB });

    assert.equal(bob.headers['x-cache'], 'HIT');
    assertSameStream(alice, bob);
    assert.equal(inferenceCount(suite.fake), 1);
  });

  it('caches /v1/embeddings', async () => {
    const relay = await startTestRelay(teardown, [suite.fake.url]);
    const body = { model: EMBEDDER, input: ['alpha', 'beta'] };
    const first = await relay.post('/v1/embeddings', body);
    const second = await relay.post('/v1/embeddings', body);

    assert.equal(first.status, 200);
    assert.equal(first.headers['x-cache'], 'MISS');
    assert.equal(second.headers['x-cache'], 'HIT');
    const a: unknown = JSON.parse(first.body);
    const b: unknown = JSON.parse(second.body);
    assert.ok(isRecord(a) && Array.isArray(a.data) && a.data.length === 2, first.body);
    assert.deepEqual(b, a);
    assert.equal(suite.fake.requestsTo('/api/embed').length, 1, 'Ollama embedded once');
  });

  describe('CACHE_MAX_MB=1', () => {
    it('does not store an answer larger than the bound', async () => {
      suite.fake.behave({ tokens: 14_000 });
      const relay = await startTestRelay(teardown, [suite.fake.url], { CACHE_MAX_MB: '1' });
      const body = { model: CODER, prompt: 'a very long answer', options: { temperature: 0 } };
      const first = await relay.post('/api/generate', body);
      assert.ok(Buffer.byteLength(first.body) > 1024 * 1024, `the answer is over 1 MiB (${Buffer.byteLength(first.body)} bytes)`);
      assert.ok(doneRecord(ndjsonLines(first.body)), 'the client still got the whole answer');

      const second = await relay.post('/api/generate', body);

      assert.equal(second.headers['x-cache'], 'MISS');
      assert.equal(inferenceCount(suite.fake), 2);
    });

    it('evicts the least recently used entries so that what it holds stays within the bound', async () => {
      suite.fake.behave({ tokens: 4_200 });
      const relay = await startTestRelay(teardown, [suite.fake.url], { CACHE_MAX_MB: '1' });
      const body = (name: string): Record<string, unknown> => ({ model: CODER, prompt: name, options: { temperature: 0 } });
      const sizes: number[] = [];
      for (const name of ['first', 'second', 'third']) {
        const response = await relay.post('/api/generate', body(name));
        assert.equal(response.headers['x-cache'], 'MISS');
        sizes.push(Buffer.byteLength(response.body));
      }
      const [one = 0, two = 0, three = 0] = sizes;
      assert.ok(two + three < 1024 * 1024 && one + two + three > 1024 * 1024, `two answers fit in 1 MiB, three do not (${sizes.join(', ')} bytes)`);

      assert.equal((await relay.post('/api/generate', body('third'))).headers['x-cache'], 'HIT', 'the newest entry is kept');
      assert.equal((await relay.post('/api/generate', body('second'))).headers['x-cache'], 'HIT');
      assert.equal((await relay.post('/api/generate', body('first'))).headers['x-cache'], 'MISS', 'the oldest entry was evicted');
      assert.equal(inferenceCount(suite.fake), 4);
    });
  });
});
