/**
 * Starts a relay from a validated config: builds the shared state, listens, and knows how to drain.
 * Used by main.ts and by the tests (with PORT=0 and a captured log stream).
 */
import http from 'node:http';
import https from 'node:https';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { RateLimiterMemory, RateLimiterRedis, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { Admission } from './admission';
import { createApp, type AppState } from './app';
import { MemoryCache, RedisCache } from './cache';
import { KeepWarm } from './keepWarm';
import { UpstreamPool } from './pool';
import { connectRedis, redisSupersedeBus } from './redis';
import type { Redis } from 'ioredis';
import type { RelayConfig } from './config';
import type { RelayContext } from './context';
import { createLogger, type Logger } from './log';
import { createMetrics, registerStateGauges } from './metrics';
import { ModelInfoCache } from './modelInfo';
import { loadTokenStore, type TokenStore } from './tokens';
import { loadUpstreamTls, Upstream } from './upstream';

export interface StartOptions {
  /** Where JSON logs go (default stdout). */
  logStream?: NodeJS.WritableStream;
}

export interface RunningRelay {
  url: string;
  port: number;
  logger: Logger;
  tokens: () => TokenStore;
  /** Re-reads RELAY_TOKENS / RELAY_TOKENS_FILE; a bad file keeps the previous tokens and throws. */
  reloadTokens(): void;
  /** Stops accepting, lets in-flight requests finish up to `deadlineMs`, then closes everything. */
  close(deadlineMs?: number): Promise<void>;
}

export async function startRelay(config: RelayConfig, options: StartOptions = {}): Promise<RunningRelay> {
  const logger = createLogger(config.logLevel, options.logStream);
  let tokens = loadTokenStore(config);
  const tls = loadUpstreamTls(config);
  const upstreams = config.upstreams.map(
    (upstream) => new Upstream(upstream, tls, { connectMs: config.upstreamConnectTimeoutMs, firstByteMs: config.firstByteTimeoutMs, streamIdleMs: config.streamIdleTimeoutMs }),
  );
  const pool = new UpstreamPool(upstreams, logger);
  const redis = config.redisUrl ? await connectRedis(config.redisUrl, logger) : undefined;
  const bus = redis ? redisSupersedeBus(redis, randomUUID()) : undefined;
  const memoryCache = new MemoryCache(config.cacheMaxBytes, config.cacheTtlSeconds);
  const ctx: RelayContext = {
    config,
    logger,
    metrics: createMetrics(),
    pool,
    admission: new Admission(
      { maxInflightPerToken: config.maxInflightPerToken, maxQueue: config.maxQueue, completionDeadlineMs: config.fimQueueDeadlineMs },
      rateLimiter(config, redis),
      bus,
    ),
    cache: redis ? new RedisCache(redis, memoryCache, config.cacheTtlSeconds, config.cacheMaxBytes) : memoryCache,
    modelInfo: new ModelInfoCache(),
    keepWarm: new KeepWarm(config.keepWarmMinutes, config.keepWarmIntervalMs, logger),
  };
  registerStateGauges(ctx.metrics, pool, ctx.admission);
  pool.startProbing(config.upstreamProbeIntervalMs);
  ctx.keepWarm.start();
  const state: AppState = { draining: false, inflight: new Set() };
  const handler = createApp(ctx, () => tokens, state);

  const serverOptions: http.ServerOptions = {
    headersTimeout: config.headersTimeoutMs,
    requestTimeout: Math.max(config.headersTimeoutMs, 120_000),
    keepAliveTimeout: 5_000,
    maxHeaderSize: 16 * 1024,
    // Check header/request deadlines every second, not every 30 s, so slow clients are cut on time.
    connectionsCheckingInterval: 1_000,
  };
  const server =
    config.tlsCertFile && config.tlsKeyFile
      ? https.createServer({ ...serverOptions, handshakeTimeout: config.headersTimeoutMs, cert: readFileSync(config.tlsCertFile), key: readFileSync(config.tlsKeyFile) }, handler)
      : http.createServer(serverOptions, handler);
  server.on('clientError', (error: NodeJS.ErrnoException, socket) => {
    const status = error.code === 'HPE_HEADER_OVERFLOW' ? '431 Request Header Fields Too Large' : '400 Bad Request';
    if (socket.writable) socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    else socket.destroy();
  });
  closeSilentConnections(server, config.headersTimeoutMs, Boolean(config.tlsCertFile));

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => {
      server.removeListener('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const displayHost = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host.includes(':') ? `[${config.host}]` : config.host;
  const url = `${config.tlsCertFile ? 'https' : 'http'}://${displayHost}:${port}`;

  return {
    url,
    port,
    logger,
    tokens: () => tokens,
    reloadTokens() {
      tokens = loadTokenStore(config);
    },
    async close(deadlineMs = 0) {
      state.draining = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const deadline = Date.now() + deadlineMs;
      while (state.inflight.size > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
      for (const exchange of state.inflight) exchange.abort.abort();
      server.closeAllConnections();
      await closed;
      pool.stop();
      ctx.keepWarm.stop();
      bus?.close();
      redis?.disconnect();
      for (const upstream of upstreams) upstream.close();
    },
  };
}

/** Requests per minute per token; with Redis the count is shared by replicas, with memory as insurance while Redis is down. */
function rateLimiter(config: RelayConfig, redis: Redis | undefined): RateLimiterAbstract | undefined {
  if (config.rateLimitRpm === 0) return undefined;
  const memory = new RateLimiterMemory({ points: config.rateLimitRpm, duration: 60, keyPrefix: 'aide-rl' });
  if (!redis) return memory;
  return new RateLimiterRedis({ storeClient: redis, points: config.rateLimitRpm, duration: 60, keyPrefix: 'aide-rl', insuranceLimiter: memory, useRedisPackage: false });
}

/**
 * Node's header deadline starts at a connection's first byte, so a socket that never sends one would stay
 * open forever. Each connection must deliver its first request within the header deadline.
 */
function closeSilentConnections(server: http.Server | https.Server, deadlineMs: number, tls: boolean): void {
  const timers = new WeakMap<object, NodeJS.Timeout>();
  server.on(tls ? 'secureConnection' : 'connection', (socket: import('node:net').Socket) => {
    const timer = setTimeout(() => socket.destroy(), deadlineMs);
    timer.unref();
    timers.set(socket, timer);
    socket.once('close', () => clearTimeout(timer));
  });
  server.on('request', (req: http.IncomingMessage) => {
    const timer = timers.get(req.socket);
    if (timer) {
      clearTimeout(timer);
      timers.delete(req.socket);
    }
  });
}
