/**
 * Exact-match response cache: keyed by a hash of the route and the canonical request body, scoped per
 * token by default. Only answers that would be the same again are stored: embeddings, /api/show,
 * /api/tags, and generations that are deterministic (`temperature: 0` or a `seed`).
 * In memory (byte-bounded LRU) or in Redis when REDIS_URL is set (falling back to memory if it is down).
 */
import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { Redis } from 'ioredis';
import type { CacheScope } from './config';

export interface CachedResponse {
  status: number;
  contentType: string;
  body: Buffer;
}

export interface ResponseCache {
  get(key: string): Promise<CachedResponse | undefined>;
  set(key: string, value: CachedResponse): Promise<void>;
}

/** Whether an answer to this request may be stored and replayed. */
export function isCacheable(path: string, payload: Record<string, unknown> | undefined): boolean {
  switch (path) {
    case '/api/tags':
    case '/api/show':
    case '/api/embed':
    case '/api/embeddings':
      return true;
    case '/api/generate':
    case '/api/chat': {
      const options = payload?.options;
      if (!options || typeof options !== 'object') return false;
      const { temperature, seed } = options as Record<string, unknown>;
      return temperature === 0 || typeof seed === 'number';
    }
    default:
      return false;
  }
}

/** JSON with sorted keys, so `{"a":1,"b":2}` and `{"b":2,"a":1}` share an entry. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

export function cacheKey(scope: CacheScope, client: string, path: string, payload: Record<string, unknown> | undefined): string {
  const hash = createHash('sha256');
  hash.update(scope === 'token' ? client : '*').update('\u0000').update(path).update('\u0000');
  if (payload) hash.update(canonicalJson(payload));
  return hash.digest('hex');
}

export class MemoryCache implements ResponseCache {
  private readonly lru: LRUCache<string, CachedResponse>;

  constructor(maxBytes: number, ttlSeconds: number) {
    this.lru = new LRUCache<string, CachedResponse>({
      maxSize: Math.max(1, maxBytes),
      sizeCalculation: (value) => value.body.length + value.contentType.length + 64,
      ttl: ttlSeconds * 1000,
    });
  }

  async get(key: string): Promise<CachedResponse | undefined> {
    return this.lru.get(key);
  }

  async set(key: string, value: CachedResponse): Promise<void> {
    if (value.body.length + 64 <= this.lru.maxSize) this.lru.set(key, value);
  }
}

/** Redis-backed cache shared by relay replicas; any Redis failure degrades to the local memory cache. */
export class RedisCache implements ResponseCache {
  constructor(
    private readonly redis: Redis,
    private readonly fallback: MemoryCache,
    private readonly ttlSeconds: number,
    private readonly maxBytes: number,
  ) {}

  async get(key: string): Promise<CachedResponse | undefined> {
    try {
      const stored = await this.redis.getBuffer(`aide:cache:${key}`);
      return stored ? decode(stored) : undefined;
    } catch {
      return this.fallback.get(key);
    }
  }

  async set(key: string, value: CachedResponse): Promise<void> {
    if (value.body.length > this.maxBytes) return;
    try {
      await this.redis.set(`aide:cache:${key}`, encode(value), 'EX', Math.max(1, this.ttlSeconds));
    } catch {
      await this.fallback.set(key, value);
    }
  }
}

function encode(value: CachedResponse): Buffer {
  const head = Buffer.from(`${JSON.stringify({ status: value.status, contentType: value.contentType })}\n`);
  return Buffer.concat([head, value.body]);
}

function decode(stored: Buffer): CachedResponse | undefined {
  const newline = stored.indexOf(0x0a);
  if (newline === -1) return undefined;
  try {
    const head = JSON.parse(stored.toString('utf8', 0, newline)) as { status: number; contentType: string };
    return { status: head.status, contentType: head.contentType, body: stored.subarray(newline + 1) };
  } catch {
    return undefined;
  }
}
