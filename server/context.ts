/** Long-lived relay state shared by every route handler. */
import { Ollama } from 'ollama';
import type { RelayConfig } from './config';
import type { Admission } from './admission';
import type { ResponseCache } from './cache';
import type { KeepWarm } from './keepWarm';
import type { Logger } from './log';
import type { RelayMetrics } from './metrics';
import type { ModelInfoCache } from './modelInfo';
import type { UpstreamPool } from './pool';
import type { Upstream } from './upstream';

export interface RelayContext {
  config: RelayConfig;
  logger: Logger;
  metrics: RelayMetrics;
  pool: UpstreamPool;
  admission: Admission;
  cache: ResponseCache;
  modelInfo: ModelInfoCache;
  keepWarm: KeepWarm;
}

/**
 * An `ollama` client bound to one upstream and one request's AbortSignal. One client per request because
 * the client-wide `abort()` would cancel every stream, and only our own fetch can abort a request whose
 * headers have not arrived yet or a non-streaming call.
 */
export function ollamaFor(upstream: Upstream, signal: AbortSignal): Ollama {
  return new Ollama({
    host: upstream.config.url.href.replace(/\/$/, ''),
    fetch: (input, init) => upstream.fetch(input, { ...init, signal: init?.signal ? AbortSignal.any([init.signal, signal]) : signal }),
  });
}
