/**
 * `/v1/*` routes: OpenAI-compatible requests served through native Ollama calls made with the `ollama`
 * npm client (one client per request, bound to the request's AbortSignal).
 */
import type { ChatResponse, GenerateResponse, Ollama } from 'ollama';
import type { z } from 'zod';
import { cacheKey } from '../cache';
import { ollamaFor, type RelayContext } from '../context';
import { openAiCodeFor, RelayError, translateUpstreamStatus } from '../errors';
import { withUpstream } from '../failover';
import { relayInfo, serverTiming, type Exchange } from '../exchange';
import { isCloudModel } from '../routes';
import { SseWriter } from '../sse';
import { chatCompletionRequest, completionRequest, embeddingRequest } from './schemas';
import { embeddingToBase64, finishReason, toNativeChat, toNativeGenerate, toOpenAiToolCalls, usageOf } from './translate';

function parseRequest<T extends z.ZodType>(schema: T, payload: Record<string, unknown> | undefined, allowCloud: boolean): z.infer<T> {
  if (!payload) throw new RelayError(400, 'missing request body', 'invalid_request');
  const result = schema.safeParse(payload);
  if (!result.success) {
    const issue = result.error.issues[0];
    const where = issue?.path.length ? `${issue.path.join('.')}: ` : '';
    throw new RelayError(400, `invalid request: ${where}${issue?.message ?? 'malformed body'}`, 'invalid_request');
  }
  const model = (result.data as { model: string }).model;
  if (!allowCloud && isCloudModel(model)) throw new RelayError(403, `cloud model "${model}" is not allowed through this relay`, 'model_not_allowed');
  return result.data;
}

/**
 * Errors thrown by the `ollama` client become RelayErrors. An HTTP error keeps Ollama's status and
 * message; a plain Error is Ollama's own `{"error"}` line mid-generation (a 500, as Ollama would answer
 * a non-streaming call); transport failures arrive already tagged from `Upstream.fetch`.
 */
function asRelayError(error: unknown): RelayError {
  if (error instanceof RelayError) return error;
  if (error && typeof error === 'object' && 'status_code' in error && typeof error.status_code === 'number') {
    const message = 'error' in error && typeof error.error === 'string' ? error.error : `upstream answered ${error.status_code}`;
    const translated = translateUpstreamStatus(error.status_code, message);
    return translated.status === error.status_code ? new RelayError(error.status_code, message, openAiCodeFor(error.status_code)) : translated;
  }
  const message = error instanceof Error ? error.message : String(error);
  if (message === STREAM_ENDED_EARLY) return new RelayError(502, 'upstream closed the stream before the final record', 'upstream_error');
  return new RelayError(500, message);
}

/** What the `ollama` client throws when a stream ends without its final record. */
const STREAM_ENDED_EARLY = 'Did not receive done or success response in stream.';

/** A cold model load can keep the first token minutes away: by then the SSE stream is opened so its heartbeat keeps proxies from closing it. */
const EARLY_OPEN_MS = 10_000;

function rethrowAsRelayError(error: unknown): never {
  throw asRelayError(error);
}

function headers(exchange: Exchange): Record<string, string> {
  return { 'X-Cache': exchange.cache, 'Server-Timing': serverTiming(exchange) };
}

function sendJson(exchange: Exchange, value: unknown): void {
  const body = Buffer.isBuffer(value) ? value : JSON.stringify(value);
  exchange.res.writeHead(200, {
    ...headers(exchange),
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(body),
    'Cache-Control': 'no-store',
  });
  exchange.res.end(body);
}

function newId(prefix: string): string {
  return `${prefix}-${Math.random().toString(36).slice(2, 12)}`;
}

function recordFinal(exchange: Exchange, final: ChatResponse | GenerateResponse | undefined): void {
  exchange.promptTokens = final?.prompt_eval_count;
  exchange.completionTokens = final?.eval_count;
  exchange.loadNs = final?.load_duration;
}

type Part = ChatResponse | GenerateResponse;

/**
 * Drives one native stream and renders it as OpenAI chunks (streaming) or one object (not streaming).
 * `render` maps a native part to the choice delta; `aggregate` builds the non-streaming choice.
 */
async function serveGeneration<P extends Part>(
  exchange: Exchange,
  start: () => Promise<AsyncIterable<P> & { abort(): void }>,
  options: {
    streaming: boolean;
    includeUsage: boolean;
    object: string;
    id: string;
    model: string;
    chunk: (part: P, first: boolean) => Record<string, unknown> | undefined;
    finalChoice: (final: P | undefined) => Record<string, unknown>;
    whole: (parts: P[], final: P | undefined) => Record<string, unknown>;
  },
): Promise<void> {
  const created = Math.floor(Date.now() / 1000);
  const envelope = { id: options.id, object: options.object, created, model: options.model, system_fingerprint: 'fp_ollama' };
  // Per token only the choice is serialised; the envelope around it is the same for the whole stream.
  const chunkPrefix = `${JSON.stringify(envelope).slice(0, -1)},"choices":[`;
  const sse = new SseWriter(exchange.res);
  const parts: P[] = [];
  let final: P | undefined;
  let completed = false;
  let stream: (AsyncIterable<P> & { abort(): void }) | undefined;
  const early = options.streaming ? setTimeout(() => sse.open(headers(exchange)), EARLY_OPEN_MS) : undefined;
  try {
    stream = await start();
    let first = true;
    for await (const part of stream) {
      if (first) exchange.ttftMs = performance.now() - exchange.started;
      if (part.done) final = part;
      if (!options.streaming) {
        parts.push(part);
        continue;
      }
      if (!sse.isOpen) sse.open(headers(exchange));
      const choice = options.chunk(part, first);
      first = false;
      if (choice) await sse.send(`${chunkPrefix}${JSON.stringify(choice)}]}`);
    }
    completed = true;
    recordFinal(exchange, final);
    if (!options.streaming) {
      sendJson(exchange, { ...envelope, ...options.whole(parts, final), usage: usageOf(final), relay: relayInfo(exchange) });
      return;
    }
    if (!sse.isOpen) sse.open(headers(exchange));
    const last = { ...envelope, choices: [options.finalChoice(final)] };
    if (options.includeUsage) {
      await sse.send(JSON.stringify(last));
      await sse.send(JSON.stringify({ ...envelope, choices: [], usage: usageOf(final), relay: relayInfo(exchange) }));
    } else {
      await sse.send(JSON.stringify({ ...last, relay: relayInfo(exchange) }));
    }
    sse.end();
    exchange.outcome ??= 'ok';
  } catch (error) {
    if (exchange.abort.signal.aborted) {
      exchange.outcome ??= 'client_abort';
      return;
    }
    const relayError = asRelayError(error);
    if (!sse.isOpen) throw relayError;
    exchange.outcome ??= 'upstream_error';
    sse.fail(relayError.message, relayError.status >= 500 ? 'api_error' : 'invalid_request_error', relayError.code);
  } finally {
    clearTimeout(early);
    sse.stopHeartbeat();
    // A stream that ended on its own needs no abort (and creating the abort error costs time per request).
    if (!completed) stream?.abort();
  }
}

/**
 * Runs a translated generation on the host chosen for the exchange (with failover): builds the native
 * request with the relay's `num_ctx` for that host's model, notes the use for keep-warm, then serves it.
 */
function onUpstream<N extends object>(
  ctx: RelayContext,
  exchange: Exchange,
  model: string,
  build: (numCtx: number | undefined) => N,
  serve: (client: Ollama, native: N) => Promise<void>,
): Promise<void> {
  return withUpstream(ctx, exchange, async (upstream) => {
    const signal = exchange.abort.signal;
    const native = build(await ctx.modelInfo.numCtx(upstream, model, ctx.config.maxContextTokens, signal));
    ctx.keepWarm.noteUse(upstream, model, native as Record<string, unknown>);
    await serve(ollamaFor(upstream, signal), native);
  });
}

export async function handleChatCompletions(ctx: RelayContext, exchange: Exchange, payload: Record<string, unknown> | undefined): Promise<void> {
  const request = parseRequest(chatCompletionRequest, payload, ctx.config.allowCloudModels);
  exchange.model = request.model;
  await onUpstream(ctx, exchange, request.model, (numCtx) => toNativeChat(request, numCtx), (client, native) => {
    let toolCallCount = 0;
    return serveGeneration<ChatResponse>(exchange, () => client.chat(native), {
      streaming: request.stream === true,
      includeUsage: request.stream_options?.include_usage === true,
      object: request.stream ? 'chat.completion.chunk' : 'chat.completion',
      id: newId('chatcmpl'),
      model: request.model,
      chunk: (part, first) => {
        const delta: Record<string, unknown> = first ? { role: 'assistant' } : {};
        if (part.message.content) delta.content = part.message.content;
        if (part.message.thinking) delta.reasoning = part.message.thinking;
        if (part.message.tool_calls?.length) {
          delta.tool_calls = toOpenAiToolCalls(part.message.tool_calls, toolCallCount);
          toolCallCount += part.message.tool_calls.length;
        }
        if (part.done && Object.keys(delta).length === 0) return undefined;
        return { index: 0, delta: first ? { content: '', ...delta } : delta, finish_reason: null };
      },
      finalChoice: (final) => ({ index: 0, delta: {}, finish_reason: finishReason(final?.done_reason, toolCallCount > 0) }),
      whole: (parts, final) => {
        const toolCalls = parts.flatMap((part) => part.message.tool_calls ?? []);
        const message: Record<string, unknown> = { role: 'assistant', content: parts.map((part) => part.message.content).join('') };
        const thinking = parts.map((part) => part.message.thinking ?? '').join('');
        if (thinking) message.reasoning = thinking;
        if (toolCalls.length) message.tool_calls = toOpenAiToolCalls(toolCalls, 0);
        return { choices: [{ index: 0, message, finish_reason: finishReason(final?.done_reason, toolCalls.length > 0) }] };
      },
    });
  });
}

export async function handleCompletions(ctx: RelayContext, exchange: Exchange, payload: Record<string, unknown> | undefined): Promise<void> {
  const request = parseRequest(completionRequest, payload, ctx.config.allowCloudModels);
  exchange.model = request.model;
  await onUpstream(ctx, exchange, request.model, (numCtx) => toNativeGenerate(request, numCtx), (client, native) =>
    serveGeneration<GenerateResponse>(exchange, () => client.generate(native), {
      streaming: request.stream === true,
      includeUsage: request.stream_options?.include_usage === true,
      object: 'text_completion',
      id: newId('cmpl'),
      model: request.model,
      chunk: (part) => (part.response ? { index: 0, text: part.response, logprobs: null, finish_reason: null } : undefined),
      finalChoice: (final) => ({ index: 0, text: '', logprobs: null, finish_reason: finishReason(final?.done_reason, false) }),
      whole: (parts, final) => ({
        choices: [{ index: 0, text: parts.map((part) => part.response).join(''), logprobs: null, finish_reason: finishReason(final?.done_reason, false) }],
      }),
    }),
  );
}

export async function handleEmbeddings(ctx: RelayContext, exchange: Exchange, payload: Record<string, unknown> | undefined): Promise<void> {
  const request = parseRequest(embeddingRequest, payload, ctx.config.allowCloudModels);
  exchange.model = request.model;
  const key = cacheKey(ctx.config.cacheScope, exchange.client, '/v1/embeddings', payload);
  const fresh = /no-cache|no-store/i.test(String(exchange.req.headers['cache-control'] ?? ''));
  const hit = fresh ? undefined : await ctx.cache.get(key);
  if (hit) {
    exchange.cache = 'HIT';
    sendJson(exchange, hit.body);
    return;
  }
  exchange.cache = 'MISS';
  const result = await withUpstream(ctx, exchange, (upstream) =>
    ollamaFor(upstream, exchange.abort.signal)
      .embed({ model: request.model, input: request.input, ...(request.dimensions ? { dimensions: request.dimensions } : {}) })
      .catch(rethrowAsRelayError),
  );
  exchange.ttftMs = performance.now() - exchange.started;
  exchange.promptTokens = result.prompt_eval_count;
  const base64 = request.encoding_format === 'base64';
  const body = Buffer.from(
    JSON.stringify({
      object: 'list',
      data: result.embeddings.map((embedding, index) => ({ object: 'embedding', embedding: base64 ? embeddingToBase64(embedding) : embedding, index })),
      model: request.model,
      usage: { prompt_tokens: result.prompt_eval_count ?? 0, total_tokens: result.prompt_eval_count ?? 0 },
    }),
  );
  await ctx.cache.set(key, { status: 200, contentType: 'application/json', body });
  sendJson(exchange, body);
}

export async function handleModels(ctx: RelayContext, exchange: Exchange, only?: string): Promise<void> {
  const list = await withUpstream(ctx, exchange, (upstream) => ollamaFor(upstream, exchange.abort.signal).list().catch(rethrowAsRelayError));
  const models = list.models.map((model) => ({
    id: model.name,
    object: 'model',
    created: Math.floor(new Date(model.modified_at).getTime() / 1000) || 0,
    owned_by: model.name.includes('/') ? model.name.split('/')[0] : 'library',
  }));
  if (only === undefined) {
    sendJson(exchange, { object: 'list', data: models });
    return;
  }
  const found = models.find((model) => model.id === only || model.id === `${only}:latest`);
  if (!found) throw new RelayError(404, `model '${only}' not found`, 'model_not_found');
  exchange.model = found.id;
  sendJson(exchange, found);
}
