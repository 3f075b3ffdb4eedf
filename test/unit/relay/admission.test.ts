import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { RateLimiterMemory } from 'rate-limiter-flexible';
import { Admission, type SupersedeBus } from '../../../server/admission';
import { RelayError } from '../../../server/errors';
import type { Exchange } from '../../../server/exchange';

let next = 0;
function exchange(client = 'alice'): Exchange {
  return {
    id: `x${++next}`,
    requestId: `r${next}`,
    req: {} as IncomingMessage,
    res: {} as ServerResponse,
    dialect: 'native',
    route: '/api/generate',
    client,
    abort: new AbortController(),
    started: 0,
    queueMs: 0,
    cache: 'BYPASS',
  };
}

const limits = { maxInflightPerToken: 1, maxQueue: 10, completionDeadlineMs: 60_000 };

async function rejection(promise: Promise<unknown>): Promise<RelayError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof RelayError);
    return error;
  }
  assert.fail('expected a rejection');
}

describe('admission', () => {
  it('queues past the in-flight limit and admits in order as slots free up', async () => {
    const admission = new Admission(limits, undefined, undefined);
    const releaseFirst = await admission.admit(exchange(), 'chat', undefined);
    const order: string[] = [];
    const second = admission.admit(exchange(), 'chat', undefined).then((release) => (order.push('second'), release));
    const third = admission.admit(exchange(), 'chat', undefined).then((release) => (order.push('third'), release));
    assert.equal(admission.queued(), 2);
    releaseFirst();
    (await second)();
    (await third)();
    assert.deepEqual(order, ['second', 'third']);
    assert.equal(admission.queued(), 0);
  });

  it('admits a queued completion ahead of queued chat requests', async () => {
    const admission = new Admission(limits, undefined, undefined);
    const release = await admission.admit(exchange(), 'chat', undefined);
    const order: string[] = [];
    const chat = admission.admit(exchange(), 'chat', undefined).then((r) => (order.push('chat'), r));
    const completion = admission.admit(exchange(), 'completion', undefined).then((r) => (order.push('completion'), r));
    release();
    (await completion)();
    (await chat)();
    assert.deepEqual(order, ['completion', 'chat']);
  });

  it('drops a completion that waited past its deadline with 503', async () => {
    const admission = new Admission({ ...limits, completionDeadlineMs: 20 }, undefined, undefined);
    const release = await admission.admit(exchange(), 'chat', undefined);
    const error = await rejection(admission.admit(exchange(), 'completion', undefined));
    assert.equal(error.status, 503);
    assert.match(error.message, /completion dropped/);
    assert.equal(admission.queued(), 0);
    release();
  });

  it('answers 429 with Retry-After when the queue is full', async () => {
    const admission = new Admission({ ...limits, maxQueue: 1 }, undefined, undefined);
    const release = await admission.admit(exchange(), 'chat', undefined);
    const queued = admission.admit(exchange(), 'chat', undefined);
    const error = await rejection(admission.admit(exchange(), 'chat', undefined));
    assert.equal(error.status, 429);
    assert.ok(Number(error.headers['Retry-After']) >= 1);
    release();
    (await queued)();
  });

  it('keeps limits per token', async () => {
    const admission = new Admission(limits, undefined, undefined);
    const alice = await admission.admit(exchange('alice'), 'chat', undefined);
    const bob = await admission.admit(exchange('bob'), 'chat', undefined);
    assert.equal(admission.queued(), 0);
    alice();
    bob();
  });

  it('rate-limits per token with 429 and Retry-After', async () => {
    const admission = new Admission({ ...limits, maxInflightPerToken: 10 }, new RateLimiterMemory({ points: 2, duration: 60 }), undefined);
    (await admission.admit(exchange(), 'chat', undefined))();
    (await admission.admit(exchange(), 'chat', undefined))();
    const error = await rejection(admission.admit(exchange(), 'chat', undefined));
    assert.equal(error.status, 429);
    assert.ok(Number(error.headers['Retry-After']) >= 1);
    (await admission.admit(exchange('bob'), 'chat', undefined))();
  });

  it('cancels the same token\'s earlier running request with the same supersede key', async () => {
    const admission = new Admission({ ...limits, maxInflightPerToken: 5 }, undefined, undefined);
    const running = exchange();
    const releaseRunning = await admission.admit(running, 'completion', 'doc-1');
    const other = exchange();
    const releaseOther = await admission.admit(other, 'completion', 'doc-2');
    (await admission.admit(exchange(), 'completion', 'doc-1'))();
    assert.equal(running.abort.signal.aborted, true);
    assert.equal(running.outcome, 'superseded');
    assert.equal(other.abort.signal.aborted, false, 'another document is untouched');
    releaseRunning();
    releaseOther();
  });

  it('removes a superseded request from the queue so it never runs', async () => {
    const admission = new Admission(limits, undefined, undefined);
    const releaseSlot = await admission.admit(exchange(), 'chat', undefined);
    const queued = exchange();
    const queuedAdmission = admission.admit(queued, 'completion', 'doc');
    const newer = admission.admit(exchange(), 'completion', 'doc');
    assert.equal(queued.abort.signal.aborted, true);
    assert.equal((await rejection(queuedAdmission)).status, 499);
    assert.equal(admission.queued(), 1);
    releaseSlot();
    (await newer)();
  });

  it('does not supersede another token\'s request with the same key', async () => {
    const admission = new Admission({ ...limits, maxInflightPerToken: 5 }, undefined, undefined);
    const alice = exchange('alice');
    const release = await admission.admit(alice, 'completion', 'doc');
    (await admission.admit(exchange('bob'), 'completion', 'doc'))();
    assert.equal(alice.abort.signal.aborted, false);
    release();
  });

  it('announces supersede keys on the bus and obeys announcements from other replicas', async () => {
    const announced: string[] = [];
    let deliver: (key: string, id: string) => void = () => undefined;
    const bus: SupersedeBus = { announce: (key) => announced.push(key), onAnnounce: (listener) => (deliver = listener) };
    const admission = new Admission({ ...limits, maxInflightPerToken: 5 }, undefined, bus);
    const local = exchange();
    const release = await admission.admit(local, 'completion', 'doc');
    assert.deepEqual(announced, ['alice\u0000doc']);
    deliver('alice\u0000doc', 'request-on-another-replica');
    assert.equal(local.abort.signal.aborted, true);
    release();
  });
});
