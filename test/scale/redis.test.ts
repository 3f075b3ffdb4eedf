/**
 * Two relay replicas in one process sharing one Redis and one Ollama: shared rate limit, shared cache,
 * supersede across replicas, and graceful degradation (local limits, one warning) while Redis is down.
 */
import assert from 'node:assert/strict';
import type { Redis } from 'ioredis';
import type { FakeOllama } from '../fakes/fakeOllama';
import type { LogCapture } from '../support/logCapture';
import { doneRecord, ndjsonLines, relayObject } from './support/http';
import { findRedisServer, REDIS_MISSING, RedisServer } from './support/redisServer';
import { BOB, CHAT, CODER, chatBody, inferenceCount, startFake, startTestRelay, Teardown, type Env, type TestRelay } from './support/rig';
import { delay, waitUntil } from './support/wait';

function redisWarnings(logs: LogCapture): Array<Record<string, unknown>> {
  return logs.records().filter((record) => record.level === 40 && typeof record.msg === 'string' && /redis/i.test(record.msg));
}

function redisRecoveries(logs: LogCapture): number {
  return logs.records().filter((record) => typeof record.msg === 'string' && /redis is back/i.test(record.msg)).length;
}

describe('scale: two relays sharing Redis', () => {
  const suite = new Teardown();
  const teardown = new Teardown();
  let redis: RedisServer;
  let admin: Redis;
  let fake: FakeOllama;

  before(async function () {
    const binary = findRedisServer();
    if (binary === undefined) {
      if (process.env.CI) throw new Error(REDIS_MISSING);
      console.warn(`skipping the Redis tests: ${REDIS_MISSING}`);
      this.skip();
    }
    redis = await RedisServer.start(binary);
    suite.add(() => redis.kill());
    admin = redis.client();
    admin.on('error', () => undefined);
    suite.add(() => admin.disconnect());
    fake = await startFake(suite);
  });
  afterEach(async () => {
    await teardown.run();
    await fake.waitFor((f) => f.stats.activeGenerations === 0, 5000, 'no generation left running').catch(() => undefined);
    fake.reset();
    if (!redis.running) await redis.restart();
    await admin.flushall();
  });
  after(() => suite.run());

  /** Two replicas, each with its Redis connections (commands and supersede subscriber) open before it is used. */
  async function replicas(env: Env = {}): Promise<[TestRelay, TestRelay]> {
    const a = await startTestRelay(teardown, [fake.url], { REDIS_URL: redis.url, ...env });
    const b = await startTestRelay(teardown, [fake.url], { REDIS_URL: redis.url, ...env });
    await waitUntil(
      async () => {
        const clients = String(await admin.client('LIST')).trim().split('\n');
        // two replicas × (commands + subscriber) + this admin connection, each past its ready check
        return clients.length === 5 && clients.every((line) => !line.includes('cmd=NULL'));
      },
      5000,
      'both replicas to connect to Redis',
    );
    // ioredis turns ready once it has read the INFO reply; commands sent before that fail fast by design.
    await delay(150);
    return [a, b];
  }

  it('shares RATE_LIMIT_RPM across replicas', async () => {
    const [a, b] = await replicas({ RATE_LIMIT_RPM: '3' });
    assert.equal((await a.post('/api/chat', chatBody(CHAT, 'a0'))).status, 200);
    assert.equal((await a.post('/api/chat', chatBody(CHAT, 'a1'))).status, 200);
    assert.equal((await b.post('/api/chat', chatBody(CHAT, 'b0'))).status, 200);

    const limitedOnB = await b.post('/api/chat', chatBody(CHAT, 'b1'));
    const limitedOnA = await a.post('/api/chat', chatBody(CHAT, 'a2'));

    assert.equal(limitedOnB.status, 429, 'the budget used on A counts on B');
    assert.equal(limitedOnA.status, 429);
    assert.ok(typeof limitedOnB.headers['retry-after'] === 'string');
    assert.equal(inferenceCount(fake), 3);
  });

  it('shares the response cache across replicas', async () => {
    const [a, b] = await replicas();
    const body = chatBody(CHAT, 'cached once, served twice', { options: { temperature: 0 } });
    const first = await a.post('/api/chat', body);
    assert.equal(first.headers['x-cache'], 'MISS');
    // The entry is written after the answer ends; wait for it rather than racing it.
    await waitUntil(async () => (await admin.keys('aide:cache:*')).length === 1, 3000, 'the entry to reach Redis');

    const second = await b.post('/api/chat', body);

    assert.equal(second.headers['x-cache'], 'HIT');
    assert.equal(relayObject(doneRecord(ndjsonLines(second.body)))?.cache, 'HIT');
    assert.equal(ndjsonLines(second.body).length, ndjsonLines(first.body).length);
    assert.equal(ndjsonLines(second.body)[0]?.raw, ndjsonLines(first.body)[0]?.raw);
    assert.equal(inferenceCount(fake), 1, 'Ollama generated once for both replicas');
  });

  it("cancels a running request on one replica when the same token sends the same supersede key to another", async () => {
    fake.behave({ tokens: 80, tokenDelayMs: 25 }, CODER);
    const [a, b] = await replicas();
    const doc = { 'X-Relay-Supersede': 'doc-shared' };
    let olderBytes = 0;
    const older = a
      .post('/api/generate', { model: CODER, prompt: 'typed on replica a', suffix: '\n' }, { headers: doc, onChunk: (bytes) => (olderBytes += bytes.length) })
      .then(
        (received) => received,
        (error: unknown) => (error instanceof Error ? error : new Error(String(error))),
      );
    await waitUntil(() => olderBytes > 0, 3000, 'the request on replica A to be streaming');
    fake.markClientGone();

    const newer = await b.post('/api/generate', { model: CODER, prompt: 'typed on replica b', suffix: '\n' }, { headers: doc });

    assert.equal(newer.status, 200);
    await fake.waitFor((f) => f.stats.generationsAborted === 1, 3000, "replica A's generation to be aborted");
    assert.equal(fake.stats.tokensAfterClientGone, 0, 'no tokens were generated for the superseded request');
    const outcome = await older;
    assert.ok(outcome instanceof Error || doneRecord(ndjsonLines(outcome.body)) === undefined, 'the superseded request was not answered in full');
  });

  it('keeps serving with local limits when Redis dies, logging exactly one warning per outage on each replica', async function () {
    this.timeout(40_000);
    const [a, b] = await replicas({ RATE_LIMIT_RPM: '4' });
    assert.equal((await a.post('/api/chat', chatBody(CHAT, 'before outage a'))).status, 200);
    assert.equal((await b.post('/api/chat', chatBody(CHAT, 'before outage b'))).status, 200);

    await redis.kill();
    await waitUntil(() => redisWarnings(a.logs).length > 0 && redisWarnings(b.logs).length > 0, 5000, 'both replicas to notice the outage');
    // Requests during the outage are served, limited by each replica's own count (4 per minute here).
    for (const relay of [a, b]) {
      for (let i = 0; i < 4; i += 1) assert.equal((await relay.post('/api/chat', chatBody(CHAT, `outage ${i}`))).status, 200, `request ${i} during the outage`);
      assert.equal((await relay.post('/api/chat', chatBody(CHAT, 'outage over budget'))).status, 429, 'the local limit applies');
    }
    const cached = chatBody(CHAT, 'cache during outage', { options: { temperature: 0 } });
    await a.post('/api/chat', cached, { token: BOB });
    assert.equal((await a.post('/api/chat', cached, { token: BOB })).headers['x-cache'], 'HIT', 'the local cache serves while Redis is down');
    // Let the client retry its connection several times: each failure must not log again.
    await delay(2500);
    for (const relay of [a, b]) {
      const warnings = redisWarnings(relay.logs);
      assert.equal(warnings.length, 1, `one warning for the outage, got ${JSON.stringify(warnings)}`);
      assert.match(String(warnings[0]?.msg), /local/i, 'the warning says what the relay does meanwhile');
    }

    await redis.restart();
    await waitUntil(() => redisRecoveries(a.logs) === 1 && redisRecoveries(b.logs) === 1, 10_000, 'both replicas to reconnect');
    await redis.kill();
    await waitUntil(() => redisWarnings(a.logs).length === 2 && redisWarnings(b.logs).length === 2, 5000, 'a warning for the second outage');
    await delay(1500);
    assert.equal(redisWarnings(a.logs).length, 2);
    assert.equal(redisWarnings(b.logs).length, 2);
    assert.equal((await b.post('/api/chat', chatBody(CHAT, 'second outage'), { token: BOB })).status, 200);
  });
});
