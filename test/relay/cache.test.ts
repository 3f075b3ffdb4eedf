import assert from 'node:assert/strict';
import { fakeEmbedding, fakeReplyText } from '../fakes/fakeOllama';
import { ALICE, BOB, bearer, CODER, EMBEDDER, startRig } from './helpers/harness';
import { useRig } from './helpers/useRig';
import { isRecord, parseNdjson, rawRequest, type RawResponse, stringField } from './helpers/rawHttp';

function post(url: string, path: string, body: unknown, token = ALICE, headers: Record<string, string> = {}): Promise<RawResponse> {
  return rawRequest(`${url}${path}`, { method: 'POST', body: JSON.stringify(body), headers: { ...bearer(token), 'Content-Type': 'application/json', ...headers } });
}

function responseText(res: RawResponse): string {
  return parseNdjson(res.body)
    .map((line) => stringField(line, 'response') ?? '')
    .join('');
}

describe('relay: response cache', () => {
  const rig = useRig();

  it('replays a deterministic generation (temperature 0) from the cache in the same NDJSON framing', async () => {
    const request = { model: CODER, prompt: 'cache me', options: { temperature: 0 } };
    const first = await post(rig.url, '/api/generate', request);
    const second = await post(rig.url, '/api/generate', request);
    assert.equal(first.headers['x-cache'], 'MISS');
    assert.equal(second.headers['x-cache'], 'HIT');
    assert.equal(rig.fake.requestsTo('/api/generate').length, 1, 'Ollama generated once');
    assert.match(String(second.headers['content-type']), /^application\/x-ndjson/);
    assert.equal(responseText(second), fakeReplyText('cache me'));
    assert.ok(parseNdjson(second.body).length > 2, 'replayed as a stream of records, not one blob');
    const last = parseNdjson(second.body).at(-1);
    assert.ok(isRecord(last) && last.done === true);
  });

  it('caches a generation with a seed', async () => {
    const request = { model: CODER, prompt: 'seeded', options: { seed: 42, temperature: 0.8 }, stream: false };
    await post(rig.url, '/api/generate', request);
    const second = await post(rig.url, '/api/generate', request);
    assert.equal(second.headers['x-cache'], 'HIT');
    assert.equal(rig.fake.requestsTo('/api/generate').length, 1);
  });

  it('never caches a sampled generation', async () => {
    const request = { model: CODER, prompt: 'sampled', options: { temperature: 0.7 } };
    await post(rig.url, '/api/generate', request);
    const second = await post(rig.url, '/api/generate', request);
    assert.notEqual(second.headers['x-cache'], 'HIT');
    assert.equal(rig.fake.requestsTo('/api/generate').length, 2);
  });

  it('keeps cache entries per token by default', async () => {
    const request = { model: CODER, prompt: 'per token', options: { temperature: 0 } };
    await post(rig.url, '/api/generate', request, ALICE);
    const bob = await post(rig.url, '/api/generate', request, BOB);
    assert.notEqual(bob.headers['x-cache'], 'HIT');
    assert.equal(rig.fake.requestsTo('/api/generate').length, 2);
  });

  it('bypasses the cache for Cache-Control: no-cache', async () => {
    const request = { model: CODER, prompt: 'fresh please', options: { temperature: 0 } };
    await post(rig.url, '/api/generate', request);
    const fresh = await post(rig.url, '/api/generate', request, ALICE, { 'Cache-Control': 'no-cache' });
    assert.notEqual(fresh.headers['x-cache'], 'HIT');
    assert.equal(rig.fake.requestsTo('/api/generate').length, 2);
  });

  it('caches embeddings', async () => {
    const request = { model: EMBEDDER, input: 'embed once' };
    await post(rig.url, '/api/embed', request);
    const second = await post(rig.url, '/api/embed', request);
    assert.equal(second.headers['x-cache'], 'HIT');
    assert.equal(rig.fake.requestsTo('/api/embed').length, 1);
    const body: unknown = JSON.parse(second.body);
    assert.ok(isRecord(body));
    assert.deepEqual(body.embeddings, [fakeEmbedding('embed once')]);
  });

  it('does not cache a failed generation', async () => {
    rig.fake.behave({ errorAfterTokens: 2 });
    const request = { model: CODER, prompt: 'fails once', options: { temperature: 0 } };
    await post(rig.url, '/api/generate', request);
    rig.fake.reset();
    const second = await post(rig.url, '/api/generate', request);
    assert.notEqual(second.headers['x-cache'], 'HIT');
    assert.equal(responseText(second), fakeReplyText('fails once'));
  });

  it('shares entries between tokens with CACHE_SCOPE=global', async () => {
    const global = await startRig({ CACHE_SCOPE: 'global' });
    try {
      const request = { model: CODER, prompt: 'shared', options: { temperature: 0 } };
      await post(global.relay.url, '/api/generate', request, ALICE);
      const bob = await post(global.relay.url, '/api/generate', request, BOB);
      assert.equal(bob.headers['x-cache'], 'HIT');
      assert.equal(global.fake.requestsTo('/api/generate').length, 1);
    } finally {
      await global.close();
    }
  });
});
