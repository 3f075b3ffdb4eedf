/**
 * The relay's request handler, built from injected state and without a listening socket, so tests can
 * drive it directly. Order per request: route → drain check → method → authentication → body → handler.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parseJsonObject, readBody } from './body';
import type { RelayContext } from './context';
import { dialectOf, RelayError, sendError } from './errors';
import type { Exchange } from './exchange';
import { handleNative } from './native';
import { handleChatCompletions, handleCompletions, handleEmbeddings, handleModels } from './openai/handlers';
import { classify, routeLabel, type RouteKind } from './routes';
import { findToken, presentedToken, sha256, type TokenStore } from './tokens';

export interface AppState {
  /** Set on SIGTERM: new requests get 503 while in-flight ones finish. */
  draining: boolean;
  /** Exchanges being served now (for the drain). */
  inflight: Set<Exchange>;
}

export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => void;

export function createApp(ctx: RelayContext, tokens: () => TokenStore, state: AppState): RequestHandler {
  const metricsTokens: TokenStore | undefined = ctx.config.metricsToken
    ? { entries: [{ name: 'metrics', digest: sha256(ctx.config.metricsToken) }], open: false }
    : undefined;
  return (req, res) => {
    serve(ctx, tokens(), metricsTokens, state, req, res).catch((error: unknown) => {
      ctx.logger.error({ err: error instanceof Error ? error.message : String(error) }, 'unhandled error while serving a request');
      if (!res.headersSent) sendError(res, 'native', new RelayError(500, 'internal relay error'));
      else res.destroy();
    });
  };
}

function requestId(req: IncomingMessage): string {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && /^[\w.:-]{1,64}$/.test(given) ? given : randomUUID();
}

async function serve(ctx: RelayContext, tokens: TokenStore, metricsTokens: TokenStore | undefined, state: AppState, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const id = requestId(req);
  const started = performance.now();
  res.setHeader('X-Request-Id', id);
  let pathname: string;
  try {
    pathname = new URL(req.url ?? '/', 'http://relay.invalid').pathname;
  } catch {
    pathname = '';
  }
  const route: RouteKind = pathname ? classify(pathname) : { kind: 'unknown' };
  const label = routeLabel(route, pathname);
  const client = authenticate(route.kind === 'metrics' && metricsTokens ? metricsTokens : tokens, req);
  const answered = await answerDirectly(ctx, state, req, res, route, pathname, client);
  if (answered) {
    recordRequest(ctx, { id, method: req.method, route: label, status: res.statusCode, started, client: client ?? 'unauthenticated' }, route.kind === 'health' || route.kind === 'ready');
    return;
  }
  const exchange: Exchange = {
    id: randomUUID(),
    requestId: id,
    req,
    res,
    dialect: dialectOf(pathname),
    route: label,
    client: client!,
    abort: new AbortController(),
    started,
    queueMs: 0,
    cache: 'BYPASS',
  };
  await runExchange(ctx, state, exchange, route);
}

/**
 * Answers everything that needs no upstream exchange: probes, refusals and the metrics page.
 * Returns false when the request is authenticated and must be served by a route handler.
 */
async function answerDirectly(
  ctx: RelayContext,
  state: AppState,
  req: IncomingMessage,
  res: ServerResponse,
  route: RouteKind,
  pathname: string,
  client: string | undefined,
): Promise<boolean> {
  const dialect = dialectOf(pathname);
  const method = req.method ?? 'GET';
  const refuse = (error: RelayError): true => {
    req.resume();
    sendError(res, dialect, error);
    return true;
  };
  switch (route.kind) {
    case 'health':
      sendText(res, 200, 'application/json', '{"status":"ok"}');
      return true;
    case 'root':
      if (method !== 'GET' && method !== 'HEAD') return refuse(methodNotAllowed(['GET', 'HEAD']));
      sendText(res, 200, 'text/plain; charset=utf-8', method === 'HEAD' ? '' : 'Ollama is running', 'Ollama is running'.length);
      return true;
    case 'ready':
      await sendReadiness(ctx, res, state);
      return true;
    case 'forbidden':
      return refuse(new RelayError(403, 'this route is disabled: the relay never lets editors change the Ollama host or its account', 'forbidden'));
    case 'unknown':
      if (!pathname) return refuse(new RelayError(400, 'malformed request target'));
      return refuse(new RelayError(404, `no such route: ${method} ${pathname.slice(0, 200)}`, 'not_found'));
  }
  if (state.draining) {
    res.setHeader('Connection', 'close');
    return refuse(new RelayError(503, 'the relay is shutting down; retry shortly', 'draining', { 'Retry-After': '1' }));
  }
  if (route.kind !== 'metrics' && !route.methods.includes(method)) return refuse(methodNotAllowed(route.methods));
  if (client === undefined) {
    return refuse(new RelayError(401, 'missing or wrong relay token (send Authorization: Bearer <token>)', 'invalid_api_key', { 'WWW-Authenticate': 'Bearer' }));
  }
  if (route.kind === 'metrics') {
    sendText(res, 200, ctx.metrics.registry.contentType, await ctx.metrics.registry.metrics());
    return true;
  }
  return false;
}

/** Returns the client's token name, or undefined when the request must be refused. */
function authenticate(tokens: TokenStore, req: IncomingMessage): string | undefined {
  const presented = presentedToken(req.headers);
  if (tokens.open) return presented === undefined ? 'anonymous' : (findToken(tokens, presented) ?? 'anonymous');
  return presented === undefined ? undefined : findToken(tokens, presented);
}

async function runExchange(ctx: RelayContext, state: AppState, exchange: Exchange, route: RouteKind): Promise<void> {
  const { res, req } = exchange;
  state.inflight.add(exchange);
  ctx.metrics.inflight.inc();
  const onClose = (): void => {
    if (res.writableFinished || exchange.abort.signal.aborted) return;
    exchange.outcome ??= 'client_abort';
    ctx.metrics.clientAborts.inc({ route: exchange.route });
    exchange.abort.abort();
  };
  res.once('close', onClose);
  let release: (() => void) | undefined;
  try {
    const body = req.method === 'POST' ? await readBody(req, ctx.config.maxBodyBytes) : undefined;
    const payload = body ? parseJsonObject(body) : undefined;
    if (ctx.config.logPrompts && body) ctx.logger.info({ reqId: exchange.requestId, body: body.toString('utf8') }, 'request body (LOG_PROMPTS=1)');
    if (needsAdmission(route)) {
      const supersedeKey = headerValue(req, 'x-relay-supersede');
      if (supersedeKey) exchange.affinityKey = `${exchange.client}\u0000${supersedeKey}`;
      release = await ctx.admission.admit(exchange, isCompletion(route, payload, req) ? 'completion' : 'chat', supersedeKey);
    }
    await dispatch(ctx, exchange, route, body, payload);
    exchange.outcome ??= 'ok';
  } catch (error) {
    const relayError = error instanceof RelayError ? error : new RelayError(500, 'internal relay error');
    if (!(error instanceof RelayError)) ctx.logger.error({ reqId: exchange.requestId, err: error instanceof Error ? error.message : String(error) }, 'handler failed');
    if (relayError.status === 499 || exchange.abort.signal.aborted) {
      if (exchange.outcome !== 'superseded') exchange.outcome = 'client_abort';
    } else {
      exchange.outcome = relayError.status >= 500 ? 'upstream_error' : 'error';
      if (relayError.status >= 500 && exchange.upstream) ctx.metrics.upstreamErrors.inc({ upstream: exchange.upstream, kind: relayError.code ?? String(relayError.status) });
      if (!res.headersSent) sendError(res, exchange.dialect, relayError);
      else res.destroy();
    }
  } finally {
    release?.();
    state.inflight.delete(exchange);
    ctx.metrics.inflight.dec();
    // A cancelled or superseded request is answered by closing the connection (nginx's 499 style).
    if (!res.writableEnded && !res.destroyed && (exchange.outcome === 'client_abort' || exchange.outcome === 'superseded')) res.destroy();
    record(ctx, exchange);
  }
}

/** Inference and embeddings go through admission; metadata routes (tags, show, ps, version, models) do not. */
function needsAdmission(route: RouteKind): boolean {
  if (route.kind === 'native') return route.inference || route.path === '/api/embed' || route.path === '/api/embeddings';
  return route.kind === 'openai' && route.handler !== 'models' && route.handler !== 'model';
}

/** Fill-in-the-middle requests are admitted ahead of chat. */
function isCompletion(route: RouteKind, payload: Record<string, unknown> | undefined, req: IncomingMessage): boolean {
  if (headerValue(req, 'x-relay-priority') === 'completion') return true;
  const hasSuffix = typeof payload?.suffix === 'string' && payload.suffix !== '';
  if (route.kind === 'native') return route.path === '/api/generate' && (hasSuffix || payload?.raw === true);
  return route.kind === 'openai' && route.handler === 'completions' && hasSuffix;
}

function headerValue(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return typeof value === 'string' && value.length > 0 && value.length <= 200 ? value : undefined;
}

async function dispatch(
  ctx: RelayContext,
  exchange: Exchange,
  route: RouteKind,
  body: Buffer | undefined,
  payload: Record<string, unknown> | undefined,
): Promise<void> {
  switch (route.kind) {
    case 'native':
      return handleNative(ctx, exchange, route, body, payload);
    case 'openai':
      switch (route.handler) {
        case 'chat':
          return handleChatCompletions(ctx, exchange, payload);
        case 'completions':
          return handleCompletions(ctx, exchange, payload);
        case 'embeddings':
          return handleEmbeddings(ctx, exchange, payload);
        case 'models':
          return handleModels(ctx, exchange);
        case 'model':
          return handleModels(ctx, exchange, route.model);
      }
    // eslint-disable-next-line no-fallthrough
    default:
      throw new RelayError(404, 'no such route');
  }
}

function record(ctx: RelayContext, exchange: Exchange): void {
  const status = exchange.outcome === 'client_abort' || exchange.outcome === 'superseded' ? 499 : exchange.res.statusCode;
  const model = status < 400 && exchange.model ? exchange.model : '';
  ctx.metrics.queue.observe({ route: exchange.route }, exchange.queueMs / 1000);
  if (exchange.ttftMs !== undefined) ctx.metrics.ttft.observe({ route: exchange.route }, exchange.ttftMs / 1000);
  if (exchange.promptTokens) ctx.metrics.tokens.inc({ direction: 'prompt', model }, exchange.promptTokens);
  if (exchange.completionTokens) ctx.metrics.tokens.inc({ direction: 'completion', model }, exchange.completionTokens);
  if (exchange.loadNs !== undefined && exchange.loadNs > 1e9) ctx.metrics.coldLoads.inc({ model });
  recordRequest(ctx, {
    id: exchange.requestId,
    method: exchange.req.method,
    route: exchange.route,
    status,
    started: exchange.started,
    client: exchange.client,
    model: exchange.model,
    upstream: exchange.upstream,
    ttft_ms: exchange.ttftMs === undefined ? undefined : Math.round(exchange.ttftMs),
    queue_ms: exchange.queueMs ? Math.round(exchange.queueMs) : undefined,
    cache: exchange.cache === 'BYPASS' ? undefined : exchange.cache,
    prompt_tokens: exchange.promptTokens,
    completion_tokens: exchange.completionTokens,
    outcome: exchange.outcome,
  });
}

interface RequestRecord {
  id: string;
  method: string | undefined;
  route: string;
  status: number;
  started: number;
  client: string;
  model?: string;
  [field: string]: unknown;
}

/** One access-log line and the request counters, for every request including refused ones. */
function recordRequest(ctx: RelayContext, record: RequestRecord, quiet = false): void {
  const { id, started, ...fields } = record;
  const seconds = (performance.now() - started) / 1000;
  const model = record.status < 400 && record.model ? record.model : '';
  ctx.metrics.requests.inc({ route: record.route, status: String(record.status), client: record.client, model });
  ctx.metrics.duration.observe({ route: record.route }, seconds);
  const line = { reqId: id, ...fields, ms: Math.round(seconds * 1000) };
  if (quiet) ctx.logger.debug(line, 'request');
  else ctx.logger.info(line, 'request');
}

function sendText(res: ServerResponse, status: number, contentType: string, body: string, length = Buffer.byteLength(body)): void {
  res.writeHead(status, { 'Content-Type': contentType, 'Content-Length': length, 'Cache-Control': 'no-store' });
  res.end(body);
}

function methodNotAllowed(allowed: readonly string[]): RelayError {
  return new RelayError(405, `method not allowed (allowed: ${allowed.join(', ')})`, 'method_not_allowed', { Allow: allowed.join(', ') });
}

async function sendReadiness(ctx: RelayContext, res: ServerResponse, state: AppState): Promise<void> {
  if (state.draining) {
    sendText(res, 503, 'application/json', JSON.stringify({ status: 'draining', reason: 'the relay is shutting down' }));
    return;
  }
  await ctx.pool.probeAll(true);
  const results = ctx.pool.describe().map((member) => ({ ...member, ok: member.reachable }));
  const ready = results.some((result) => result.ok);
  const body = { status: ready ? 'ready' : 'unavailable', upstreams: results, ...(ready ? {} : { reason: 'no upstream answers' }) };
  sendText(res, ready ? 200 : 503, 'application/json', JSON.stringify(body));
}
