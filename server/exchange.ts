/**
 * The state of one client request while the relay serves it: who asked, what for, and where its time went.
 * Route handlers read and fill it; the app turns it into the access log line, metrics and the `relay` object.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Dialect } from './errors';

export type CacheState = 'HIT' | 'MISS' | 'BYPASS';

export interface Exchange {
  /** The relay's own identity for this exchange (supersede, replicas); never taken from the client. */
  id: string;
  /** `X-Request-Id` as the client sent it (validated) or a fresh one: for logs and the echoed header. */
  requestId: string;
  req: IncomingMessage;
  res: ServerResponse;
  dialect: Dialect;
  /** Route label for metrics and logs (the path pattern, never raw client text). */
  route: string;
  /** Token name (never the token), or `anonymous` when the relay runs open on loopback. */
  client: string;
  /** Aborted when the client goes away or the request is superseded; every upstream call carries it. */
  abort: AbortController;
  started: number;
  model?: string;
  /** Token + supersede key: routes a document's requests to the host that holds its prompt cache. */
  affinityKey?: string;
  upstream?: string;
  queueMs: number;
  connectMs?: number;
  /** Milliseconds from arrival to the first byte of the answer body sent to the client. */
  ttftMs?: number;
  /** Nanoseconds Ollama spent loading the model for this request (cold start). */
  loadNs?: number;
  promptTokens?: number;
  completionTokens?: number;
  cache: CacheState;
  /** How the exchange ended, for logs and metrics. */
  outcome?: 'ok' | 'client_abort' | 'upstream_error' | 'error' | 'superseded';
}

/** The `relay` object the final native record / SSE chunk carries, so the editor can show where time went. */
export function relayInfo(exchange: Exchange): Record<string, unknown> {
  return {
    upstream: exchange.upstream ?? null,
    queue_ms: round(exchange.queueMs),
    ttft_ms: exchange.ttftMs === undefined ? null : round(exchange.ttftMs),
    cache: exchange.cache,
    load: exchange.loadNs !== undefined && exchange.loadNs > 1e9 ? true : undefined,
  };
}

/** `Server-Timing` for the response headers: queue wait and upstream connect/response-headers time. */
export function serverTiming(exchange: Exchange, upstreamHeadersMs?: number): string {
  const parts = [`queue;dur=${round(exchange.queueMs)}`];
  if (exchange.connectMs !== undefined) parts.push(`upstream-connect;dur=${round(exchange.connectMs)}`);
  if (upstreamHeadersMs !== undefined) parts.push(`upstream-headers;dur=${round(upstreamHeadersMs)}`);
  if (exchange.ttftMs !== undefined) parts.push(`first-token;dur=${round(exchange.ttftMs)}`);
  return parts.join(', ');
}

export function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}
