import assert from 'node:assert/strict';
import { cacheKey, canonicalJson, isCacheable, MemoryCache } from '../../../server/cache';

describe('response cache', () => {
  it('stores only answers that would be the same again', () => {
    assert.equal(isCacheable('/api/embed', { model: 'm', input: 'x' }), true);
    assert.equal(isCacheable('/api/tags', undefined), true);
    assert.equal(isCacheable('/api/generate', { model: 'm', prompt: 'p' }), false);
    assert.equal(isCacheable('/api/generate', { model: 'm', prompt: 'p', options: { temperature: 0.7 } }), false);
    assert.equal(isCacheable('/api/generate', { model: 'm', prompt: 'p', options: { temperature: 0 } }), true);
    assert.equal(isCacheable('/api/chat', { model: 'm', messages: [], options: { seed: 42 } }), true);
    assert.equal(isCacheable('/api/ps', undefined), false);
  });

  it('keys on the canonical body, the route and the token scope', () => {
    assert.equal(canonicalJson({ b: [1, { d: 1, c: 2 }], a: 'x' }), '{"a":"x","b":[1,{"c":2,"d":1}]}');
    const body = { model: 'm', options: { temperature: 0, seed: 1 } };
    const reordered = { options: { seed: 1, temperature: 0 }, model: 'm' };
    assert.equal(cacheKey('token', 'alice', '/api/chat', body), cacheKey('token', 'alice', '/api/chat', reordered));
    assert.notEqual(cacheKey('token', 'alice', '/api/chat', body), cacheKey('token', 'bob', '/api/chat', body));
    assert.equal(cacheKey('global', 'alice', '/api/chat', body), cacheKey('global', 'bob', '/api/chat', body));
    assert.notEqual(cacheKey('token', 'alice', '/api/chat', body), cacheKey('token', 'alice', '/api/generate', body));
  });

  it('stays within its byte bound and skips entries larger than the whole cache', async () => {
    const cache = new MemoryCache(1_000, 60);
    const entry = (size: number) => ({ status: 200, contentType: 'application/json', body: Buffer.alloc(size, 0x61) });
    await cache.set('big', entry(5_000));
    assert.equal(await cache.get('big'), undefined);
    await cache.set('one', entry(400));
    await cache.set('two', entry(400));
    await cache.set('three', entry(400));
    assert.equal(await cache.get('one'), undefined, 'the least recently used entry was evicted');
    assert.equal((await cache.get('three'))?.body.length, 400);
  });
});
