/**
 * Admission control per client token: a rate limit, a cap on requests in flight, a bounded queue that
 * serves completion (FIM) requests ahead of chat, a deadline after which a queued completion is dropped
 * (the editor has moved on), and supersede: a request carrying `X-Relay-Supersede: <key>` cancels the
 * same token's earlier request with that key, queued or running.
 */
import type { RateLimiterAbstract } from 'rate-limiter-flexible';
import { RelayError } from './errors';
import type { Exchange } from './exchange';

export type Priority = 'completion' | 'chat';

export interface AdmissionLimits {
  maxInflightPerToken: number;
  maxQueue: number;
  completionDeadlineMs: number;
}

interface Waiter {
  exchange: Exchange;
  priority: Priority;
  enqueued: number;
  admit: () => void;
  reject: (error: RelayError) => void;
}

interface ClientState {
  inflight: number;
  queue: Waiter[];
}

/** Cancels exchanges by supersede key, locally and (with Redis) on the other replicas. */
export interface SupersedeBus {
  announce(key: string, exchangeId: string): void;
  onAnnounce(listener: (key: string, exchangeId: string) => void): void;
}

export class Admission {
  private readonly clients = new Map<string, ClientState>();
  private readonly bySupersedeKey = new Map<string, Exchange>();

  constructor(
    private readonly limits: AdmissionLimits,
    private readonly rateLimiter: RateLimiterAbstract | undefined,
    private readonly bus: SupersedeBus | undefined,
    private readonly now: () => number = () => performance.now(),
  ) {
    bus?.onAnnounce((key, exchangeId) => this.supersedeLocal(key, exchangeId));
  }

  /**
   * Waits until the exchange may run; returns the release function to call when it ends.
   * Throws 429 (rate or queue limit), 503 (completion dropped after its deadline) or 499 (cancelled while queued).
   */
  async admit(exchange: Exchange, priority: Priority, supersedeKey: string | undefined): Promise<() => void> {
    if (this.rateLimiter) {
      try {
        await this.rateLimiter.consume(exchange.client);
      } catch (rejection) {
        const ms = typeof rejection === 'object' && rejection && 'msBeforeNext' in rejection ? Number(rejection.msBeforeNext) : 1_000;
        const retryAfter = String(Math.max(1, Math.ceil(ms / 1000)));
        throw new RelayError(429, `rate limit reached for this token; retry in ${retryAfter} s`, 'rate_limit_exceeded', { 'Retry-After': retryAfter });
      }
    }
    const forget = supersedeKey ? this.registerSupersede(exchange, `${exchange.client}\u0000${supersedeKey}`) : undefined;
    try {
      const release = await this.acquire(exchange, priority);
      return () => {
        forget?.();
        release();
      };
    } catch (error) {
      forget?.();
      throw error;
    }
  }

  /** Cancels the earlier holder of `key` (here and on other replicas) and returns how to forget this one. */
  private registerSupersede(exchange: Exchange, key: string): () => void {
    this.supersedeLocal(key, exchange.id);
    this.bus?.announce(key, exchange.id);
    this.bySupersedeKey.set(key, exchange);
    const forget = (): void => {
      if (this.bySupersedeKey.get(key) === exchange) this.bySupersedeKey.delete(key);
    };
    exchange.abort.signal.addEventListener('abort', forget, { once: true });
    return forget;
  }

  private async acquire(exchange: Exchange, priority: Priority): Promise<() => void> {
    const state = this.clientState(exchange.client);
    const started = this.now();
    if (state.inflight < this.limits.maxInflightPerToken && state.queue.length === 0) {
      state.inflight += 1;
      return this.releaser(exchange.client, state);
    }
    if (state.queue.length >= this.limits.maxQueue) {
      throw new RelayError(429, `too many requests queued for this token (MAX_QUEUE=${this.limits.maxQueue})`, 'rate_limit_exceeded', { 'Retry-After': '1' });
    }
    await new Promise<void>((resolve, reject) => {
      const waiter: Waiter = { exchange, priority, enqueued: started, admit: resolve, reject };
      // Completions go ahead of every chat request but keep their own arrival order.
      const at = priority === 'completion' ? state.queue.findIndex((other) => other.priority === 'chat') : -1;
      if (at === -1) state.queue.push(waiter);
      else state.queue.splice(at, 0, waiter);
      const leave = (error: RelayError): void => {
        const index = state.queue.indexOf(waiter);
        if (index === -1) return;
        state.queue.splice(index, 1);
        reject(error);
      };
      if (exchange.abort.signal.aborted) {
        leave(new RelayError(499, 'cancelled while queued'));
        return;
      }
      exchange.abort.signal.addEventListener('abort', () => leave(new RelayError(499, 'cancelled while queued')), { once: true });
      if (priority === 'completion') {
        const deadline = setTimeout(() => leave(completionDropped(this.limits.completionDeadlineMs)), this.limits.completionDeadlineMs);
        waiter.admit = () => {
          clearTimeout(deadline);
          resolve();
        };
      }
    });
    exchange.queueMs = this.now() - started;
    return this.releaser(exchange.client, state);
  }

  private releaser(client: string, state: ClientState): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      state.inflight -= 1;
      this.next(state);
      if (state.inflight === 0 && state.queue.length === 0) this.clients.delete(client);
    };
  }

  private next(state: ClientState): void {
    while (state.inflight < this.limits.maxInflightPerToken && state.queue.length > 0) {
      const waiter = state.queue.shift()!;
      if (waiter.priority === 'completion' && this.now() - waiter.enqueued > this.limits.completionDeadlineMs) {
        waiter.reject(completionDropped(this.limits.completionDeadlineMs));
        continue;
      }
      state.inflight += 1;
      waiter.admit();
    }
  }

  private supersedeLocal(key: string, newerId: string): void {
    const earlier = this.bySupersedeKey.get(key);
    if (!earlier || earlier.id === newerId) return;
    this.bySupersedeKey.delete(key);
    earlier.outcome = 'superseded';
    earlier.abort.abort();
  }

  private clientState(client: string): ClientState {
    let state = this.clients.get(client);
    if (!state) {
      state = { inflight: 0, queue: [] };
      this.clients.set(client, state);
    }
    return state;
  }

  /** Requests waiting now, for metrics. */
  queued(): number {
    let total = 0;
    for (const state of this.clients.values()) total += state.queue.length;
    return total;
  }
}

function completionDropped(deadlineMs: number): RelayError {
  // The editor has moved on: clients that retry on 503 (the openai client does) are told not to.
  return new RelayError(503, `completion dropped: it waited more than ${deadlineMs} ms in the queue`, 'queue_deadline', { 'X-Should-Retry': 'false' });
}
