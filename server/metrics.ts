/**
 * Prometheus metrics on a registry of the relay's own (so several relays in one process stay apart).
 * Labels are route patterns, token names, upstream display names and model names that the upstream
 * accepted — never tokens, credentials or raw client text.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Admission } from './admission';
import type { UpstreamPool } from './pool';

export type RelayMetrics = ReturnType<typeof createMetrics>;

const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'relay_process_' });
  return {
    registry,
    requests: new Counter({
      name: 'relay_requests_total',
      help: 'Requests answered, by route, status, client (token name) and model',
      labelNames: ['route', 'status', 'client', 'model'] as const,
      registers: [registry],
    }),
    duration: new Histogram({
      name: 'relay_request_duration_seconds',
      help: 'Time from request arrival to the end of the response',
      labelNames: ['route'] as const,
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    }),
    ttft: new Histogram({
      name: 'relay_time_to_first_token_seconds',
      help: 'Time from request arrival to the first answer byte sent to the client',
      labelNames: ['route'] as const,
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    }),
    queue: new Histogram({
      name: 'relay_queue_wait_seconds',
      help: 'Time a request waited for admission',
      labelNames: ['route'] as const,
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    }),
    tokens: new Counter({
      name: 'relay_tokens_total',
      help: 'Tokens reported by Ollama, by direction (prompt or completion)',
      labelNames: ['direction', 'model'] as const,
      registers: [registry],
    }),
    inflight: new Gauge({ name: 'relay_inflight_requests', help: 'Requests being served now', registers: [registry] }),
    upstreamErrors: new Counter({
      name: 'relay_upstream_errors_total',
      help: 'Upstream failures, by upstream and kind',
      labelNames: ['upstream', 'kind'] as const,
      registers: [registry],
    }),
    clientAborts: new Counter({
      name: 'relay_client_aborts_total',
      help: 'Client disconnects propagated upstream as an abort',
      labelNames: ['route'] as const,
      registers: [registry],
    }),
    coldLoads: new Counter({
      name: 'relay_cold_loads_total',
      help: 'Requests that waited for Ollama to load the model',
      labelNames: ['model'] as const,
      registers: [registry],
    }),
  };
}

/** Exposes per-upstream state and the queue length as gauges that are read at scrape time. */
export function registerStateGauges(metrics: RelayMetrics, pool: UpstreamPool, admission: Admission): void {
  new Gauge({
    name: 'relay_upstream_up',
    help: 'Upstream circuit state: 1 closed (serving), 0.5 half-open (on trial), 0 open (taken out)',
    labelNames: ['upstream'] as const,
    registers: [metrics.registry],
    collect() {
      for (const member of pool.describe()) this.set({ upstream: member.upstream }, member.state === 'closed' ? 1 : member.state === 'half-open' ? 0.5 : 0);
    },
  });
  new Gauge({
    name: 'relay_upstream_inflight',
    help: 'Requests being served by each upstream',
    labelNames: ['upstream'] as const,
    registers: [metrics.registry],
    collect() {
      for (const member of pool.describe()) this.set({ upstream: member.upstream }, member.inflight);
    },
  });
  new Gauge({
    name: 'relay_queued_requests',
    help: 'Requests waiting for admission',
    registers: [metrics.registry],
    collect() {
      this.set(admission.queued());
    },
  });
}
