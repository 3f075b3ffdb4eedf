/**
 * Ollama-native routes: the body goes upstream byte for byte (every field, known or not), the answer
 * comes back as it arrives. The relay only checks what it must (JSON shape, field types, cloud models)
 * so a bad request gets a clear 400 without costing the GPU anything.
 */
import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import { z } from 'zod';
import { cacheKey, isCacheable } from './cache';
import type { RelayContext } from './context';
import { RelayError, translateUpstreamStatus, upstreamErrorMessage } from './errors';
import { relayInfo, serverTiming, type Exchange } from './exchange';
import { withUpstream } from './failover';
import { forwardNdjson, type ForwardOutcome } from './ndjsonForward';
import { isCloudModel } from './routes';

// Ollama (Go) reads a JSON null as "not set", so every optional field accepts null as well.
const keepAlive = z.union([z.string(), z.number()]).nullish();
const options = z.record(z.string(), z.unknown()).nullish();
const format = z.union([z.string(), z.record(z.string(), z.unknown())]).nullish();
const think = z.union([z.boolean(), z.string()]).nullish();
const stream = z.boolean().nullish();
const model = z.string({ error: 'model must be a string' }).nullish();

const SCHEMAS: Record<string, z.ZodType> = {
  '/api/generate': z.looseObject({
    model,
    prompt: z.string().nullish(),
    suffix: z.string().nullish(),
    system: z.string().nullish(),
    template: z.string().nullish(),
    raw: z.boolean().nullish(),
    images: z.array(z.string()).nullish(),
    context: z.array(z.number()).nullish(),
    stream,
    format,
    options,
    keep_alive: keepAlive,
    think,
  }),
  '/api/chat': z.looseObject({
    model,
    messages: z.array(z.looseObject({ role: z.string(), content: z.string().nullish(), images: z.array(z.string()).nullish() })).nullish(),
    tools: z.array(z.unknown()).nullish(),
    stream,
    format,
    options,
    keep_alive: keepAlive,
    think,
  }),
  '/api/embed': z.looseObject({ model, input: z.union([z.string(), z.array(z.string())]).nullish(), options, keep_alive: keepAlive }),
  '/api/embeddings': z.looseObject({ model, prompt: z.string().nullish(), options, keep_alive: keepAlive }),
  '/api/show': z.looseObject({ model, name: z.string().nullish(), verbose: z.boolean().nullish() }),
};

/** Validates a native request body and returns its model name. */
export function checkNativeRequest(path: string, payload: Record<string, unknown>, allowCloud: boolean): string | undefined {
  const schema = SCHEMAS[path];
  if (schema) {
    const result = schema.safeParse(payload);
    if (!result.success) {
      const issue = result.error.issues[0];
      const where = issue?.path.length ? `${issue.path.join('.')}: ` : '';
      throw new RelayError(400, `invalid request: ${where}${issue?.message ?? 'malformed body'}`);
    }
  }
  const name = typeof payload.model === 'string' ? payload.model : typeof payload.name === 'string' ? payload.name : undefined;
  if (!name || name.trim() === '') throw new RelayError(400, 'model is required');
  if (!allowCloud && isCloudModel(name)) {
    throw new RelayError(403, `cloud model "${name}" is not allowed through this relay (it would use the Ollama host's ollama.com account)`);
  }
  return name;
}

export async function handleNative(
  ctx: RelayContext,
  exchange: Exchange,
  route: { path: string; inference: boolean },
  body: Buffer | undefined,
  payload: Record<string, unknown> | undefined,
): Promise<void> {
  const method = exchange.req.method === 'HEAD' ? 'HEAD' : body ? 'POST' : 'GET';
  if (payload) exchange.model = checkNativeRequest(route.path, payload, ctx.config.allowCloudModels);

  const key = method !== 'HEAD' && isCacheable(route.path, payload) ? cacheKey(ctx.config.cacheScope, exchange.client, route.path, payload) : undefined;
  if (key && !wantsFreshAnswer(exchange)) {
    const hit = await ctx.cache.get(key);
    if (hit) {
      exchange.cache = 'HIT';
      exchange.outcome ??= await forward(ctx, exchange, route, Readable.from([hit.body]), hit.status, hit.contentType);
      return;
    }
  }
  if (key) exchange.cache = 'MISS';

  await withUpstream(ctx, exchange, async (upstream) => {
    const { response, connectMs, headersMs } = await upstream.send({
      method,
      path: route.path,
      body,
      signal: exchange.abort.signal,
      headers: { Accept: 'application/x-ndjson, application/json' },
    });
    exchange.connectMs = connectMs;
    const status = response.statusCode ?? 502;
    if (status >= 400) throw await upstreamHttpError(response, status, ctx.config.maxBodyBytes);
    if (route.inference && exchange.model) ctx.keepWarm.noteUse(upstream, exchange.model, payload);
    const contentType = response.headers['content-type'] ?? 'application/json; charset=utf-8';
    if (method === 'HEAD') {
      response.resume();
      exchange.res.writeHead(status, responseHeaders(exchange, contentType, headersMs));
      exchange.res.end();
      return;
    }
    const capture = key ? new Capture(ctx.config.cacheMaxBytes) : undefined;
    const outcome = await forward(ctx, exchange, route, response, status, contentType, headersMs, capture);
    exchange.outcome ??= outcome;
    if (key && capture?.complete && outcome === 'ok') {
      await ctx.cache.set(key, { status, contentType, body: capture.body() });
    }
  });
}

function wantsFreshAnswer(exchange: Exchange): boolean {
  const header = exchange.req.headers['cache-control'];
  return typeof header === 'string' && /no-cache|no-store/i.test(header);
}

function responseHeaders(exchange: Exchange, contentType: string, upstreamHeadersMs?: number): Record<string, string> {
  return {
    'Content-Type': contentType,
    'Cache-Control': 'no-store',
    'X-Accel-Buffering': 'no',
    'X-Cache': exchange.cache,
    'Server-Timing': serverTiming(exchange, upstreamHeadersMs),
  };
}

async function forward(
  ctx: RelayContext,
  exchange: Exchange,
  route: { inference: boolean },
  source: Readable,
  status: number,
  contentType: string,
  upstreamHeadersMs?: number,
  capture?: Capture,
): Promise<ForwardOutcome> {
  const result = await forwardNdjson(source, exchange.res, {
    status,
    head: () => responseHeaders(exchange, contentType, upstreamHeadersMs),
    relayInfo: route.inference ? () => relayInfo(exchange) : undefined,
    idleTimeoutMs: ctx.config.streamIdleTimeoutMs,
    capture: capture ? (chunk) => capture.add(chunk) : undefined,
    signal: exchange.abort.signal,
    onFirstByte: () => {
      exchange.ttftMs = performance.now() - exchange.started;
    },
    onFinal: (record) => {
      exchange.promptTokens = record.promptTokens;
      exchange.completionTokens = record.completionTokens;
      exchange.loadNs = record.loadNs;
    },
  });
  if (result.outcome === 'failed_before_first_byte') throw new RelayError(502, result.reason, 'upstream_error');
  return result.outcome;
}

/** Collects an upstream answer for the cache, giving up (without affecting the client) past the size bound. */
class Capture {
  private readonly chunks: Buffer[] = [];
  private size = 0;
  complete = true;

  constructor(private readonly maxBytes: number) {}

  add(chunk: Buffer): void {
    if (!this.complete) return;
    this.size += chunk.length;
    if (this.size > this.maxBytes) {
      this.complete = false;
      this.chunks.length = 0;
      return;
    }
    this.chunks.push(chunk);
  }

  body(): Buffer {
    return Buffer.concat(this.chunks, this.size);
  }
}

/** An HTTP error from Ollama keeps its status and message; the caller renders it in the route's dialect. */
export async function upstreamHttpError(response: IncomingMessage, status: number, limit: number): Promise<RelayError> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of response as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > Math.min(limit, 65_536)) break;
    chunks.push(chunk);
  }
  response.destroy();
  return translateUpstreamStatus(status, upstreamErrorMessage(status, Buffer.concat(chunks).toString('utf8')));
}
