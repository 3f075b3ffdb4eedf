// @ts-check
/**
 * A deliberately cheap Ollama stand-in for load tests, run as its own process so that its CPU is not
 * counted against the proxy being measured.
 *
 * It speaks Ollama's real framing: `/api/chat` and `/api/generate` answer `application/x-ndjson`, one
 * `JSON + "\n"` per token written (and so flushed) separately, headers with the first chunk, a final
 * `done:true` record with Ollama's counters; `stream:false` answers one JSON object; `/api/show` reports a
 * context length and capabilities (the relay's OpenAI-compatible routes ask for it), and `/`,
 * `/api/version`, `/api/tags`, `/api/ps` answer as Ollama does. Generation stops when the request's
 * connection closes, as Ollama's does when its request context is cancelled.
 *
 * The prompt (generate) or last message (chat) carries the load knobs, so they pass through any proxy:
 * `bench id=<id> tokens=<n> delay=<ms per token> first=<ms before the first token> trace=<0|1>`.
 * `delay=0` is full speed: one write per token, yielding to the event loop between tokens.
 *
 * Control and statistics go over the IPC channel of `child_process.fork` (never over HTTP, so no proxy
 * can see them): `{type:'stats', reset?}` is answered with `{type:'stats', stats}`.
 *
 * Environment: `PORT` (required), `HOST` (default 127.0.0.1).
 */
import http from 'node:http';

const WORDS = ['"The"', '" quick"', '" brown"', '" fox"', '" jumps"', '" over"', '" the"', '" lazy"', '" dog"', '"."', '"\\n"', '" func"', '"("', '"x"', '")"', '" {"'];
const MODEL_FAMILY = 'qwen2';
const CONTEXT_LENGTH = 32_768;

/** Epoch milliseconds with sub-millisecond precision, comparable across processes on one machine. */
const now = () => performance.timeOrigin + performance.now();

/**
 * @typedef {{ id: string, writes: number[], closedAt: number | undefined, finished: boolean }} Trace
 * @typedef {{ tokens: number, streams: number, active: number, writesAfterClose: number, connections: number, traces: Trace[] }} UpstreamStats
 */

/** @type {UpstreamStats} */
let stats = { tokens: 0, streams: 0, active: 0, writesAfterClose: 0, connections: 0, traces: [] };

/** @param {string} text */
function knobsOf(text) {
  /** @param {string} name @param {number} fallback */
  const num = (name, fallback) => {
    const match = new RegExp(`\\b${name}=(\\d+)`).exec(text);
    return match ? Number(match[1]) : fallback;
  };
  const id = /\bid=([\w.-]+)/.exec(text)?.[1] ?? '';
  return { id, tokens: num('tokens', 16), delay: num('delay', 0), first: num('first', 0), trace: num('trace', 0) === 1 };
}

/** @param {unknown} value @returns {value is Record<string, unknown>} */
function isRecord(value) {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** @param {'chat' | 'generate'} kind @param {Record<string, unknown>} body */
function promptOf(kind, body) {
  if (kind === 'generate') return typeof body.prompt === 'string' ? body.prompt : '';
  const messages = Array.isArray(body.messages) ? body.messages : [];
  const last = messages[messages.length - 1];
  return isRecord(last) && typeof last.content === 'string' ? last.content : '';
}

/** @param {http.ServerResponse} res @param {number} status @param {unknown} value */
function sendJson(res, status, value) {
  const text = JSON.stringify(value);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

/** @param {string} model */
function modelEntry(model) {
  return {
    name: model,
    model,
    modified_at: '2025-01-15T10:00:00.000000000Z',
    size: 986_000_000,
    digest: 'a'.repeat(64),
    details: { parent_model: '', format: 'gguf', family: MODEL_FAMILY, families: [MODEL_FAMILY], parameter_size: '1.5B', quantization_level: 'Q4_K_M' },
  };
}

/**
 * Streams one generation. The line is assembled from pre-escaped pieces: the point is that the
 * upstream costs little, not that it is clever.
 * @param {'chat' | 'generate'} kind @param {Record<string, unknown>} body @param {http.ServerResponse} res
 */
function generate(kind, body, res) {
  const knobs = knobsOf(promptOf(kind, body));
  const options = isRecord(body.options) ? body.options : {};
  const numPredict = typeof options.num_predict === 'number' && options.num_predict > 0 ? options.num_predict : Infinity;
  const total = Math.min(knobs.tokens, numPredict);
  const streaming = body.stream !== false;
  const model = JSON.stringify(typeof body.model === 'string' ? body.model : 'bench');
  const started = process.hrtime.bigint();
  /** @type {Trace | undefined} */
  const trace = knobs.trace ? { id: knobs.id, writes: [], closedAt: undefined, finished: false } : undefined;
  if (trace) stats.traces.push(trace);
  stats.streams += 1;
  stats.active += 1;

  let closed = false;
  let produced = 0;
  /** @type {string[]} */
  const whole = [];
  res.once('close', () => {
    stats.active -= 1;
    if (res.writableFinished) return;
    closed = true;
    if (trace) trace.closedAt = now();
  });

  const head = `{"model":${model},"created_at":"`;
  const middle = kind === 'chat' ? '","message":{"role":"assistant","content":' : '","response":';
  const tail = kind === 'chat' ? '},"done":false}\n' : ',"done":false}\n';

  const finish = () => {
    // Nanoseconds, as Ollama reports them; load and prompt evaluation are fixed, evaluation is measured.
    const evalDuration = Math.max(1, Number(process.hrtime.bigint() - started));
    const counters = {
      total_duration: 1_234_567 + 2_345_678 + evalDuration,
      load_duration: 1_234_567,
      prompt_eval_count: 12,
      prompt_eval_duration: 2_345_678,
      eval_count: produced,
      eval_duration: evalDuration,
    };
    const base = { model: JSON.parse(model), created_at: new Date().toISOString() };
    const content = streaming ? '' : whole.map((word) => JSON.parse(word)).join('');
    const record =
      kind === 'chat'
        ? { ...base, message: { role: 'assistant', content }, done: true, done_reason: produced < knobs.tokens ? 'length' : 'stop', ...counters }
        : { ...base, response: content, done: true, done_reason: produced < knobs.tokens ? 'length' : 'stop', context: [151_644, 872, 198, 151_645], ...counters };
    if (trace) trace.finished = true;
    if (!streaming) {
      sendJson(res, 200, record);
      return;
    }
    res.end(`${JSON.stringify(record)}\n`);
  };

  const step = () => {
    if (closed) return;
    if (produced === total) {
      finish();
      return;
    }
    const word = /** @type {string} */ (WORDS[produced % WORDS.length]);
    produced += 1;
    stats.tokens += 1;
    if (trace) trace.writes.push(now());
    if (!streaming) {
      whole.push(word);
      next();
      return;
    }
    if (res.destroyed) stats.writesAfterClose += 1;
    if (res.write(`${head}${new Date().toISOString()}${middle}${word}${tail}`)) next();
    else res.once('drain', next);
  };
  const next = knobs.delay > 0 ? () => setTimeout(step, knobs.delay) : () => setImmediate(step);

  if (streaming) res.setHeader('Content-Type', 'application/x-ndjson');
  if (knobs.first > 0) setTimeout(step, knobs.first);
  else step();
}

/** @param {http.IncomingMessage} req @param {http.ServerResponse} res @param {string} text */
function route(req, res, text) {
  const path = (req.url ?? '/').split('?')[0];
  const method = req.method ?? 'GET';
  if (path === '/' && (method === 'GET' || method === 'HEAD')) {
    res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': 17 });
    res.end(method === 'HEAD' ? undefined : 'Ollama is running');
    return;
  }
  if (path === '/api/version' && method === 'GET') return sendJson(res, 200, { version: '0.12.6' });
  if (path === '/api/tags' && method === 'GET') return sendJson(res, 200, { models: [modelEntry('bench:latest')] });
  if (path === '/api/ps' && method === 'GET') {
    return sendJson(res, 200, { models: [{ ...modelEntry('bench:latest'), expires_at: new Date(Date.now() + 300_000).toISOString(), size_vram: 986_000_000, context_length: 4096 }] });
  }
  if (method !== 'POST' || !['/api/chat', '/api/generate', '/api/show'].includes(path)) {
    res.writeHead(404, { 'Content-Type': 'text/plain' });
    res.end('404 page not found');
    return;
  }
  /** @type {unknown} */
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    return sendJson(res, 400, { error: 'invalid character looking for beginning of value' });
  }
  if (!isRecord(body)) return sendJson(res, 400, { error: 'json: cannot unmarshal into Go value' });
  const model = typeof body.model === 'string' ? body.model : typeof body.name === 'string' ? body.name : '';
  if (model === '') return sendJson(res, 400, { error: 'model is required' });
  if (path === '/api/show') {
    return sendJson(res, 200, {
      license: '',
      modelfile: `FROM ${model}\n`,
      parameters: 'stop                           "<|endoftext|>"',
      template: '{{ .Prompt }}',
      details: modelEntry(model).details,
      model_info: { 'general.architecture': MODEL_FAMILY, [`${MODEL_FAMILY}.context_length`]: CONTEXT_LENGTH },
      capabilities: ['completion', 'insert', 'tools'],
      modified_at: '2025-01-15T10:00:00.000000000Z',
    });
  }
  generate(path === '/api/chat' ? 'chat' : 'generate', body, res);
}

// Go's net/http has no idle timeout by default: keep idle keep-alive sockets open like Ollama does.
const server = http.createServer({ keepAliveTimeout: 120_000 }, (req, res) => {
  /** @type {Buffer[]} */
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => route(req, res, Buffer.concat(chunks).toString('utf8')));
});

// New TCP connections show whether a proxy reuses its keep-alive sockets.
server.on('connection', () => {
  stats.connections += 1;
});

process.on('message', (message) => {
  if (!isRecord(message) || message.type !== 'stats') return;
  process.send?.({ type: 'stats', stats });
  if (message.reset === true) stats = { tokens: 0, streams: 0, active: stats.active, writesAfterClose: 0, connections: 0, traces: [] };
});
process.on('disconnect', () => process.exit(0));

server.listen(Number(process.env.PORT), process.env.HOST ?? '127.0.0.1');
