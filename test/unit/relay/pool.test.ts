import assert from 'node:assert/strict';
import pino from 'pino';
import { UpstreamPool } from '../../../server/pool';
import { RelayError } from '../../../server/errors';
import type { Upstream } from '../../../server/upstream';

const upstream = (name: string): Upstream => ({ name }) as Upstream;
const logger = pino({ level: 'silent' });

describe('upstream pool', () => {
  it('prefers the host where the model is resident, then document affinity, then the least busy', () => {
    const pool = new UpstreamPool([upstream('a'), upstream('b')], logger);
    const [a, b] = pool.members;
    b!.resident.add('qwen');
    assert.equal(pool.pick('qwen', undefined, new Set()), b);
    a!.inflight = 0;
    b!.inflight = 3;
    assert.equal(pool.pick('llama', undefined, new Set()), a);
    assert.equal(pool.pick('llama', 'doc', new Set()), a);
    a!.inflight = 5;
    assert.equal(pool.pick('llama', 'doc', new Set()), a, 'affinity outweighs a small load difference');
    assert.equal(pool.pick('llama', undefined, new Set()), b);
  });

  it('opens the circuit after repeated failures and lets one trial through after the cool-down', () => {
    let now = 1_000;
    const pool = new UpstreamPool([upstream('a'), upstream('b')], logger, () => now);
    const [a, b] = pool.members;
    pool.failed(a!, 'refused');
    pool.failed(a!, 'refused');
    assert.equal(a!.circuit, 'open');
    assert.equal(pool.pick(undefined, undefined, new Set()), b);
    assert.throws(() => pool.pick(undefined, undefined, new Set([b!])), RelayError, 'an open host is never picked');
    now += 2_000;
    assert.equal(pool.pick(undefined, undefined, new Set([b!])), a, 'after the cool-down one trial goes through');
  });

  it('throws 503 naming each host when none is available', () => {
    let now = 0;
    const pool = new UpstreamPool([upstream('a')], logger, () => now);
    const [a] = pool.members;
    pool.failed(a!, 'connection refused');
    pool.failed(a!, 'connection refused');
    assert.throws(
      () => pool.pick(undefined, undefined, new Set()),
      (error: unknown) => error instanceof RelayError && error.status === 503 && /a: connection refused/.test(error.message),
    );
    now = 10_000;
    assert.equal(pool.pick(undefined, undefined, new Set()), a, 'half-open after the cool-down');
    assert.equal(a!.circuit, 'half-open');
    assert.throws(() => pool.pick(undefined, undefined, new Set()), RelayError, 'only one trial at a time');
    pool.succeeded(a!);
    assert.equal(a!.circuit, 'closed');
  });

  it('doubles the cool-down after a failed trial', () => {
    let now = 0;
    const pool = new UpstreamPool([upstream('a')], logger, () => now);
    const [a] = pool.members;
    pool.failed(a!, 'x');
    pool.failed(a!, 'x');
    const firstOpenUntil = a!.openUntil;
    now = firstOpenUntil;
    pool.pick(undefined, undefined, new Set());
    pool.failed(a!, 'x');
    assert.equal(a!.circuit, 'open');
    assert.ok(a!.openUntil - now > firstOpenUntil, 'the second cool-down is longer');
  });
});
