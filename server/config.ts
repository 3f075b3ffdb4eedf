/**
 * Relay configuration, read from the environment only and validated once at start. A bad value stops the
 * relay with a ConfigError that names the variable, so a typo never silently falls back to a default.
 */
import { isLoopbackHost } from './net';

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`${variable}: ${message}`);
    this.name = 'ConfigError';
  }
}

export interface UpstreamConfig {
  /** Base URL without credentials, e.g. `https://gpu.example.com/ollama`. */
  url: URL;
  /** Safe display name (origin + path, never credentials): used in logs, metrics and `relay.upstream`. */
  name: string;
  /** Authorization header value sent upstream (`Bearer …` from OLLAMA_API_KEY or `Basic …` from URL userinfo). */
  authorization?: string;
}

export type CacheScope = 'token' | 'global';
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export interface RelayConfig {
  port: number;
  host: string;
  upstreams: UpstreamConfig[];
  caFile?: string;
  clientCertFile?: string;
  clientKeyFile?: string;
  /** Raw `RELAY_TOKENS` entries (`name:token` or `token`). */
  tokens: string[];
  tokensFile?: string;
  allowNoAuth: boolean;
  dataDir: string;
  tlsCertFile?: string;
  tlsKeyFile?: string;
  redisUrl?: string;
  rateLimitRpm: number;
  maxInflightPerToken: number;
  maxQueue: number;
  /** Milliseconds a completion (FIM) request may wait in the queue before it is dropped. */
  fimQueueDeadlineMs: number;
  maxBodyBytes: number;
  headersTimeoutMs: number;
  upstreamConnectTimeoutMs: number;
  firstByteTimeoutMs: number;
  streamIdleTimeoutMs: number;
  drainTimeoutMs: number;
  cacheTtlSeconds: number;
  cacheMaxBytes: number;
  cacheScope: CacheScope;
  logLevel: LogLevel;
  logPrompts: boolean;
  metricsToken?: string;
  allowCloudModels: boolean;
  /** Upper bound for `num_ctx` that the relay sets on OpenAI-compatible routes. */
  maxContextTokens: number;
  /** Keep models used in the last N minutes loaded (0 = off). */
  keepWarmMinutes: number;
  /** How often keep-warm refreshes recently used models. */
  keepWarmIntervalMs: number;
  upstreamProbeIntervalMs: number;
}

type Env = Record<string, string | undefined>;

const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export function loadConfig(env: Env): RelayConfig {
  const read = (name: string): string | undefined => {
    const value = env[name]?.trim();
    return value === '' ? undefined : value;
  };
  const int = (name: string, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number => {
    const raw = read(name);
    if (raw === undefined) return fallback;
    if (!/^\d+$/.test(raw)) throw new ConfigError(name, `expected a whole number, got "${raw}"`);
    const value = Number(raw);
    if (value < min || value > max) throw new ConfigError(name, `expected a number from ${min} to ${max}, got ${value}`);
    return value;
  };
  const flag = (name: string): boolean => {
    const raw = read(name);
    if (raw === undefined || raw === '0' || raw.toLowerCase() === 'false') return false;
    if (raw === '1' || raw.toLowerCase() === 'true') return true;
    throw new ConfigError(name, `expected 1 or 0, got "${raw}"`);
  };
  const file = (name: string): string | undefined => read(name);

  const host = read('HOST') ?? '127.0.0.1';
  const allowInsecure = flag('OLLAMA_ALLOW_INSECURE');
  const apiKey = read('OLLAMA_API_KEY');
  const upstreams = (read('OLLAMA_HOST') ?? 'http://127.0.0.1:11434')
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '')
    .map((entry) => parseUpstream(entry, apiKey, allowInsecure));
  if (upstreams.length === 0) throw new ConfigError('OLLAMA_HOST', 'no upstream URL given');

  const allowNoAuth = flag('RELAY_ALLOW_NO_AUTH');
  if (allowNoAuth && !isLoopbackHost(host)) {
    throw new ConfigError('RELAY_ALLOW_NO_AUTH', `refusing to run without authentication on the non-loopback interface HOST=${host}`);
  }

  const logLevel = (read('LOG_LEVEL') ?? 'info').toLowerCase();
  if (!LOG_LEVELS.includes(logLevel as LogLevel)) throw new ConfigError('LOG_LEVEL', `expected one of ${LOG_LEVELS.join(', ')}, got "${logLevel}"`);

  const cacheScope = read('CACHE_SCOPE') ?? 'token';
  if (cacheScope !== 'token' && cacheScope !== 'global') throw new ConfigError('CACHE_SCOPE', `expected "token" or "global", got "${cacheScope}"`);

  const tlsCertFile = file('TLS_CERT_FILE');
  const tlsKeyFile = file('TLS_KEY_FILE');
  if (Boolean(tlsCertFile) !== Boolean(tlsKeyFile)) {
    throw new ConfigError(tlsCertFile ? 'TLS_KEY_FILE' : 'TLS_CERT_FILE', 'TLS_CERT_FILE and TLS_KEY_FILE must be set together');
  }
  const clientCertFile = file('OLLAMA_CLIENT_CERT_FILE');
  const clientKeyFile = file('OLLAMA_CLIENT_KEY_FILE');
  if (Boolean(clientCertFile) !== Boolean(clientKeyFile)) {
    throw new ConfigError(clientCertFile ? 'OLLAMA_CLIENT_KEY_FILE' : 'OLLAMA_CLIENT_CERT_FILE', 'the client certificate and key must be set together');
  }

  const redisUrl = read('REDIS_URL');
  if (redisUrl !== undefined && !/^rediss?:\/\//.test(redisUrl)) throw new ConfigError('REDIS_URL', 'expected a redis:// or rediss:// URL');

  return {
    port: int('PORT', 11435, 0, 65535),
    host,
    upstreams,
    caFile: file('OLLAMA_CA_FILE'),
    clientCertFile,
    clientKeyFile,
    tokens: (read('RELAY_TOKENS') ?? '')
      .split(',')
      .map((entry) => entry.trim())
      .filter((entry) => entry !== ''),
    tokensFile: file('RELAY_TOKENS_FILE'),
    allowNoAuth,
    dataDir: read('RELAY_DATA_DIR') ?? '.relay',
    tlsCertFile,
    tlsKeyFile,
    redisUrl,
    rateLimitRpm: int('RATE_LIMIT_RPM', 600, 0),
    maxInflightPerToken: int('MAX_INFLIGHT_PER_TOKEN', 4, 1, 10_000),
    maxQueue: int('MAX_QUEUE', 64, 0, 100_000),
    fimQueueDeadlineMs: int('FIM_QUEUE_DEADLINE_MS', 2_000, 1),
    maxBodyBytes: int('MAX_BODY_BYTES', 8 * 1024 * 1024, 1),
    headersTimeoutMs: int('HEADERS_TIMEOUT_MS', 10_000, 100),
    upstreamConnectTimeoutMs: int('UPSTREAM_CONNECT_TIMEOUT_MS', 5_000, 1),
    firstByteTimeoutMs: int('FIRST_BYTE_TIMEOUT_MS', 300_000, 1),
    streamIdleTimeoutMs: int('STREAM_IDLE_TIMEOUT_MS', 120_000, 1),
    drainTimeoutMs: int('DRAIN_TIMEOUT_MS', 30_000, 0),
    cacheTtlSeconds: int('CACHE_TTL_S', 300, 0),
    cacheMaxBytes: int('CACHE_MAX_MB', 64, 0, 1_000_000) * 1024 * 1024,
    cacheScope,
    logLevel: logLevel as LogLevel,
    logPrompts: flag('LOG_PROMPTS'),
    metricsToken: read('METRICS_TOKEN'),
    allowCloudModels: flag('RELAY_ALLOW_CLOUD_MODELS'),
    maxContextTokens: int('RELAY_MAX_CTX', 8192, 256),
    keepWarmMinutes: int('KEEP_WARM_MINUTES', 0, 0, 24 * 60),
    keepWarmIntervalMs: int('KEEP_WARM_INTERVAL_MS', 60_000, 100),
    upstreamProbeIntervalMs: int('UPSTREAM_PROBE_INTERVAL_MS', 10_000, 100),
  };
}

function parseUpstream(entry: string, apiKey: string | undefined, allowInsecure: boolean): UpstreamConfig {
  let url: URL;
  try {
    url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(entry) ? entry : `http://${entry}`);
  } catch {
    throw new ConfigError('OLLAMA_HOST', `"${redactUserinfo(entry)}" is not a valid URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigError('OLLAMA_HOST', `unsupported scheme "${url.protocol}" (use http:// or https://)`);
  }
  if (url.search || url.hash) throw new ConfigError('OLLAMA_HOST', 'an upstream URL cannot carry a query or fragment');
  let authorization = apiKey ? `Bearer ${apiKey}` : undefined;
  if (url.username || url.password) {
    const user = decodeURIComponent(url.username);
    const password = decodeURIComponent(url.password);
    authorization = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
    url.username = '';
    url.password = '';
  }
  // Ollama's own convention: no port means 11434 when no scheme was given; an explicit scheme keeps 80/443.
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(entry) && url.port === '') url.port = '11434';
  if (url.protocol === 'http:' && !isLoopbackHost(url.hostname) && !allowInsecure) {
    throw new ConfigError(
      'OLLAMA_HOST',
      `plain http:// to the non-loopback host ${url.host} would send prompts and credentials unencrypted; use https:// or set OLLAMA_ALLOW_INSECURE=1`,
    );
  }
  url.pathname = url.pathname.replace(/\/+$/, '');
  return { url, name: `${url.origin}${url.pathname === '/' ? '' : url.pathname}`, authorization };
}

function redactUserinfo(entry: string): string {
  return entry.replace(/\/\/[^@/]*@/, '//***@');
}
