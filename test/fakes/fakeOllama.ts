/**
 * A faithful in-process fake of the Ollama HTTP API (see /work/shared/ollama-api.md), served over real
 * HTTP on 127.0.0.1 so that relays and clients are exercised through real sockets.
 *
 * Faithful where it matters to a relay: NDJSON framing (`application/x-ndjson`, one JSON object plus "\n"
 * per chunk, headers sent with the first chunk as gin does), final `done:true` record with nanosecond
 * durations, the exact error texts and status codes, the loopback Host check and the CORS Origin check
 * (both 403 with an empty body), 405 on a wrong method, and generation that stops when its client
 * disconnects. Knobs make it slow, cold, split, broken or silent on demand.
 */
import http from 'node:http';
import os from 'node:os';
import net from 'node:net';
import { once } from 'node:events';
import { z } from 'zod';

// ---------------------------------------------------------------------------------------------
// Behaviour knobs
// ---------------------------------------------------------------------------------------------

const nonNegativeInt = z.number().int().min(0);

export const behaviourSchema = z
  .object({
    /** delay before the first chunk (and the response headers) of a generation */
    firstTokenDelayMs: nonNegativeInt.optional(),
    /** delay between chunks */
    tokenDelayMs: nonNegativeInt.optional(),
    /** exact number of reply tokens (the echo reply is cut or padded) */
    tokens: nonNegativeInt.optional(),
    /** cold model load: extra delay before the first chunk, reported as `load_duration` */
    loadDelayMs: nonNegativeInt.optional(),
    /** write every NDJSON line in several TCP writes split at awkward byte offsets (inside UTF-8 code points) and coalesce lines */
    splitChunks: z.boolean().optional(),
    /** answer an inference request with this HTTP error before any byte of the stream */
    errorBeforeStream: z.object({ status: z.number().int().min(400).max(599), message: z.string() }).strict().optional(),
    /** after n tokens write one `{"error":…}` line and end the body without a done record */
    errorAfterTokens: nonNegativeInt.optional(),
    /** message used by errorAfterTokens */
    errorMessage: z.string().optional(),
    /** after n tokens destroy the socket */
    dropAfterTokens: nonNegativeInt.optional(),
    /** after n tokens write a line that is not JSON, then carry on */
    malformedAfterTokens: nonNegativeInt.optional(),
    /** never send response headers (the request stays open until the client gives up) */
    hangBeforeHeaders: z.boolean().optional(),
    /** answer every matching request with this status and `{"error":"…"}` */
    statusOverride: z.number().int().min(100).max(599).optional(),
  })
  .strict();

export type Behaviour = z.infer<typeof behaviourSchema>;

/** Body of `POST /_fake/behave`: knobs plus an optional model name they are scoped to. */
export const behaveRequestSchema = behaviourSchema.extend({ model: z.string().min(1).optional() }).strict();

export const DEFAULT_ERROR_MESSAGE =
  'model runner has unexpectedly stopped, this may be due to resource limitations or an internal error, check ollama server logs for details';

// ---------------------------------------------------------------------------------------------
// Models
// ---------------------------------------------------------------------------------------------

export type Capability = 'completion' | 'tools' | 'insert' | 'vision' | 'embedding' | 'thinking';

export interface FakeModel {
  /** full name with tag, e.g. `qwen2.5-coder:1.5b` */
  readonly name: string;
  /** `details.family`; also used as `general.architecture` */
  readonly family: string;
  readonly capabilities: readonly Capability[];
  /** training context, reported as `<arch>.context_length` */
  readonly contextLength: number;
  readonly parameterSize: string;
  readonly quantizationLevel: string;
  /** Go template text; references `.Suffix` iff the model has `insert` */
  readonly template: string;
  /** Modelfile parameters as `[key, value]` pairs, rendered like `ollama show` */
  readonly parameters: ReadonlyArray<readonly [string, string]>;
  readonly sizeBytes: number;
}

const QWEN_CODER_TEMPLATE =
  '{{- if .Suffix }}<|fim_prefix|>{{ .Prompt }}<|fim_suffix|>{{ .Suffix }}<|fim_middle|>\n' +
  '{{- else }}<|im_start|>user\n{{ .Prompt }}<|im_end|>\n<|im_start|>assistant\n{{ end }}';

export const DEFAULT_MODELS: readonly FakeModel[] = [
  {
    name: 'qwen2.5-coder:1.5b',
    family: 'qwen2',
    capabilities: ['completion', 'insert'],
    contextLength: 32768,
    parameterSize: '1.5B',
    quantizationLevel: 'Q4_K_M',
    template: QWEN_CODER_TEMPLATE,
    parameters: [
      ['stop', '"<|endoftext|>"'],
      ['stop', '"<|fim_prefix|>"'],
      ['stop', '"<|fim_suffix|>"'],
      ['stop', '"<|fim_middle|>"'],
    ],
    sizeBytes: 986_061_892,
  },
  {
    name: 'codellama:7b-code',
    family: 'llama',
    capabilities: ['completion'],
    contextLength: 16384,
    parameterSize: '7B',
    quantizationLevel: 'Q4_0',
    template: '{{ .Prompt }}',
    parameters: [
      ['rope_frequency_base', '1e+06'],
      ['stop', '"<EOT>"'],
    ],
    sizeBytes: 3_825_910_662,
  },
  {
    name: 'llama3.2:1b',
    family: 'llama',
    capabilities: ['completion', 'tools'],
    contextLength: 131072,
    parameterSize: '1.2B',
    quantizationLevel: 'Q8_0',
    template:
      '{{- if .Tools }}<|start_header_id|>system<|end_header_id|>\n{{ range .Tools }}{{ . }}{{ end }}<|eot_id|>{{ end }}' +
      '{{- range .Messages }}<|start_header_id|>{{ .Role }}<|end_header_id|>\n\n{{ .Content }}<|eot_id|>{{ end }}',
    parameters: [
      ['stop', '"<|start_header_id|>"'],
      ['stop', '"<|end_header_id|>"'],
      ['stop', '"<|eot_id|>"'],
    ],
    sizeBytes: 1_321_098_329,
  },
  {
    name: 'nomic-embed-text:latest',
    family: 'nomic-bert',
    capabilities: ['embedding'],
    contextLength: 2048,
    parameterSize: '137M',
    quantizationLevel: 'F16',
    template: '{{ .Prompt }}',
    parameters: [['num_ctx', '8192']],
    sizeBytes: 274_302_450,
  },
  {
    name: 'qwen3:0.6b',
    family: 'qwen3',
    capabilities: ['completion', 'tools', 'thinking'],
    contextLength: 40960,
    parameterSize: '751.63M',
    quantizationLevel: 'Q4_K_M',
    template:
      '{{- if .Tools }}<|im_start|>system\n{{ range .Tools }}{{ . }}{{ end }}<|im_end|>\n{{ end }}' +
      '{{- range .Messages }}<|im_start|>{{ .Role }}\n{{ if .Thinking }}<think>{{ .Thinking }}</think>{{ end }}{{ .Content }}<|im_end|>\n{{ end }}',
    parameters: [
      ['stop', '"<|im_start|>"'],
      ['stop', '"<|im_end|>"'],
      ['temperature', '0.6'],
    ],
    sizeBytes: 522_653_767,
  },
];

/** `qwen2.5-coder` → `qwen2.5-coder:latest`, as Ollama's name parser does. */
export function normaliseModelName(name: string): string {
  const lastSegment = name.slice(name.lastIndexOf('/') + 1);
  return lastSegment.includes(':') ? name : `${name}:latest`;
}

// ---------------------------------------------------------------------------------------------
// Deterministic replies
// ---------------------------------------------------------------------------------------------

/** Every reply ends with these, so 2-, 3- and 4-byte UTF-8 code points cross every framing boundary. */
export const UTF8_TAIL: readonly string[] = [' é', ' €', ' 🦙'];
const FILLER: readonly string[] = [' é', ' €', ' 🦙', ' ok'];

/** Thinking-capable models think in these chunks first (unless `think:false`). */
export const THINKING_TOKENS: readonly string[] = ['Let me think', ' — ok.'];

/**
 * The reply tokens for an input text: `"echo: <text>"` split before each whitespace run, then the UTF-8
 * tail. With `count` the list is cut, or padded with multi-byte filler, to exactly `count` tokens.
 */
export function fakeReplyTokens(inputText: string, count?: number): string[] {
  const base = [...(`echo: ${inputText}`.match(/\s*\S+/g) ?? []), ...UTF8_TAIL];
  if (count === undefined) return base;
  if (count <= base.length) return base.slice(0, count);
  const padded = [...base];
  for (let i = 0; padded.length < count; i += 1) padded.push(FILLER[i % FILLER.length] ?? ' ok');
  return padded;
}

/** The full reply text a test should expect for an input text. */
export function fakeReplyText(inputText: string, count?: number): string {
  return fakeReplyTokens(inputText, count).join('');
}

/** A deterministic embedding vector (8 dimensions) for a text. */
export function fakeEmbedding(text: string): number[] {
  const vector: number[] = [];
  let seed = 2166136261;
  for (const ch of text) seed = Math.imul(seed ^ (ch.codePointAt(0) ?? 0), 16777619) >>> 0;
  for (let i = 0; i < 8; i += 1) {
    seed = Math.imul(seed ^ (seed >>> 15), 2246822519) >>> 0;
    vector.push(Math.round(((seed / 0xffffffff) * 2 - 1) * 1e6) / 1e6);
  }
  return vector;
}

// ---------------------------------------------------------------------------------------------
// Observability
// ---------------------------------------------------------------------------------------------

export interface RecordedRequest {
  readonly id: number;
  readonly method: string;
  /** path without the query string */
  readonly path: string;
  readonly url: string;
  readonly headers: http.IncomingHttpHeaders;
  /** the body exactly as received */
  readonly rawBody: string;
  /** the parsed JSON body, or undefined when empty or not JSON */
  readonly body: unknown;
  readonly receivedAt: number;
  /** when the response finished or the connection closed */
  closedAt: number | undefined;
  /** true when the client closed the connection before the response was complete */
  closedEarly: boolean;
  status: number | undefined;
}

export interface FakeStats {
  generationsStarted: number;
  generationsCompleted: number;
  /** generations stopped because their client disconnected */
  generationsAborted: number;
  /** generations ended by an injected failure (error line, drop) */
  generationsFailed: number;
  tokensProduced: number;
  /**
   * Tokens generated for nobody: produced after the fake's own connection closed (never, since the fake
   * stops like Ollama does), or produced more than the grace period after a test declared, via
   * `markClientGone()`, that the client at the far end of the relay is gone. Must stay 0.
   */
  tokensAfterClientGone: number;
  activeGenerations: number;
  /** requests that reached an admin route (pull, push, create, copy, delete, blobs, me, signout, experimental, user keys) */
  adminRequests: number;
}

function emptyStats(): FakeStats {
  return {
    generationsStarted: 0,
    generationsCompleted: 0,
    generationsAborted: 0,
    generationsFailed: 0,
    tokensProduced: 0,
    tokensAfterClientGone: 0,
    activeGenerations: 0,
    adminRequests: 0,
  };
}

export interface FakeOllamaOptions {
  models?: readonly FakeModel[];
  behaviour?: Behaviour;
  /** expose `/_fake/stats`, `/_fake/behave`, `/_fake/reset`, `/_fake/client-gone` (for the out-of-process fake) */
  control?: boolean;
  /** port to bind on 127.0.0.1; 0 (default) picks a free one */
  port?: number;
  version?: string;
}

// ---------------------------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------------------------

type JsonObject = Record<string, unknown>;

function isRecord(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Resolves after `ms`, or early (with false) when the signal aborts. */
function sleep(ms: number, signal?: AbortSignal): Promise<boolean> {
  if (signal?.aborted) return Promise.resolve(false);
  if (ms <= 0) return Promise.resolve(true);
  return new Promise((resolve) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

const ADMIN_PATHS = new Set(['/api/pull', '/api/push', '/api/create', '/api/copy', '/api/delete', '/api/me', '/api/signout']);
const ADMIN_PREFIXES = ['/api/blobs/', '/api/experimental/', '/api/user/keys/'];

export function isAdminPath(path: string): boolean {
  return ADMIN_PATHS.has(path) || ADMIN_PREFIXES.some((prefix) => path.startsWith(prefix));
}

type Method = 'GET' | 'HEAD' | 'POST' | 'DELETE';

/** Known paths and their methods, as in routes `GenerateRoutes`. */
function methodsFor(path: string): readonly Method[] | undefined {
  switch (path) {
    case '/':
    case '/api/version':
    case '/api/tags':
      return ['GET', 'HEAD'];
    case '/api/ps':
      return ['GET'];
    case '/api/show':
    case '/api/generate':
    case '/api/chat':
    case '/api/embed':
    case '/api/embeddings':
    case '/api/pull':
    case '/api/push':
    case '/api/create':
    case '/api/copy':
    case '/api/me':
    case '/api/signout':
      return ['POST'];
    case '/api/delete':
      return ['DELETE'];
    default:
      if (path.startsWith('/api/blobs/')) return ['POST', 'HEAD'];
      if (path.startsWith('/api/experimental/')) return ['GET', 'POST'];
      if (path.startsWith('/api/user/keys/')) return ['DELETE'];
      return undefined;
  }
}

// --- Host and Origin checks (routes allowedHostsMiddleware, gin-contrib/cors with env AllowedOrigins) ---

function isPrivateOrLocalIp(host: string): boolean {
  const kind = net.isIP(host);
  if (kind === 4) {
    const [a = 0, b = 0] = host.split('.').map(Number);
    return a === 127 || a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || host === '0.0.0.0';
  }
  if (kind === 6) {
    const lower = host.toLowerCase();
    return lower === '::1' || lower === '::' || lower.startsWith('fc') || lower.startsWith('fd');
  }
  return false;
}

function splitHostHeader(hostHeader: string): string {
  if (hostHeader.startsWith('[')) return hostHeader.slice(1, hostHeader.indexOf(']'));
  const colon = hostHeader.lastIndexOf(':');
  return colon >= 0 && hostHeader.indexOf(':') === colon ? hostHeader.slice(0, colon) : hostHeader;
}

export function isAllowedHost(hostHeader: string | undefined): boolean {
  if (hostHeader === undefined || hostHeader === '') return true;
  const host = splitHostHeader(hostHeader).toLowerCase();
  if (isPrivateOrLocalIp(host)) return true;
  if (host === 'localhost' || host === os.hostname().toLowerCase()) return true;
  return ['.localhost', '.local', '.internal'].some((tld) => host.endsWith(tld));
}

const DEFAULT_ALLOWED_ORIGINS: readonly string[] = [
  ...['localhost', '127.0.0.1', '0.0.0.0'].flatMap((h) => [`http://${h}`, `https://${h}`, `http://${h}:*`, `https://${h}:*`]),
  'app://*',
  'file://*',
  'tauri://*',
  'vscode-webview://*',
  'vscode-file://*',
];

function wildcardMatch(pattern: string, value: string): boolean {
  const star = pattern.indexOf('*');
  if (star < 0) return pattern === value;
  return value.startsWith(pattern.slice(0, star)) && value.endsWith(pattern.slice(star + 1));
}

export function isAllowedOrigin(origin: string | undefined, hostHeader: string | undefined): boolean {
  if (origin === undefined) return true;
  if (hostHeader !== undefined && (origin === `http://${hostHeader}` || origin === `https://${hostHeader}`)) return true;
  return DEFAULT_ALLOWED_ORIGINS.some((pattern) => wildcardMatch(pattern, origin));
}

// ---------------------------------------------------------------------------------------------
// Request validation (texts as Go's encoding/json and routes produce them)
// ---------------------------------------------------------------------------------------------

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

type FieldType = 'string' | 'bool' | 'array' | 'object' | 'number';

const FIELD_TYPES: Record<string, Record<string, FieldType>> = {
  GenerateRequest: {
    model: 'string',
    prompt: 'string',
    suffix: 'string',
    system: 'string',
    template: 'string',
    raw: 'bool',
    stream: 'bool',
    images: 'array',
    context: 'array',
    options: 'object',
  },
  ChatRequest: { model: 'string', messages: 'array', tools: 'array', stream: 'bool', options: 'object' },
  ShowRequest: { model: 'string', name: 'string', verbose: 'bool' },
  EmbedRequest: { model: 'string', truncate: 'bool', options: 'object' },
  EmbeddingRequest: { model: 'string', prompt: 'string', options: 'object' },
};

function goTypeName(value: unknown): string {
  if (typeof value === 'string') return 'string';
  if (typeof value === 'number') return 'number';
  if (typeof value === 'boolean') return 'bool';
  if (Array.isArray(value)) return 'array';
  return 'object';
}

const GO_FIELD_TYPE: Record<FieldType, string> = {
  string: 'string',
  bool: 'bool',
  array: '[]interface {}',
  object: 'map[string]interface {}',
  number: 'int',
};

/** Parses a request body like gin's `ShouldBindJSON` into the named Go struct. */
function bindJson(rawBody: string, structName: string): JsonObject {
  if (rawBody.trim() === '') throw new HttpError(400, 'missing request body');
  let parsed: unknown;
  try {
    parsed = JSON.parse(rawBody);
  } catch {
    const first = rawBody.trimStart()[0] ?? '';
    throw new HttpError(400, `invalid character '${first}' looking for beginning of value`);
  }
  if (!isRecord(parsed)) {
    throw new HttpError(400, `json: cannot unmarshal ${goTypeName(parsed)} into Go value of type api.${structName}`);
  }
  for (const [field, type] of Object.entries(FIELD_TYPES[structName] ?? {})) {
    const value = parsed[field];
    if (value === undefined || value === null) continue;
    const actual = goTypeName(value);
    if (actual !== type) {
      throw new HttpError(
        400,
        `json: cannot unmarshal ${actual} into Go struct field ${structName}.${field} of type ${GO_FIELD_TYPE[type]}`,
      );
    }
  }
  return parsed;
}

// ---------------------------------------------------------------------------------------------
// Framing: one NDJSON line per chunk, or split/coalesced writes on demand
// ---------------------------------------------------------------------------------------------

class LineWriter {
  private pending: Buffer = Buffer.alloc(0);
  private lineIndex = 0;

  constructor(
    private readonly res: http.ServerResponse,
    private readonly split: boolean,
    private readonly signal: AbortSignal,
  ) {}

  /** Writes one line; resolves false once the connection is gone. */
  async line(text: string): Promise<boolean> {
    const bytes = Buffer.from(`${text}\n`, 'utf8');
    if (!this.split) return this.write(bytes);
    const start = this.pending.length;
    this.pending = Buffer.concat([this.pending, bytes]);
    this.lineIndex += 1;
    // Every third line is only buffered, so the next write carries several whole lines.
    if (this.lineIndex % 3 === 2) return !this.signal.aborted;
    // Cut after the first byte, inside the first multi-byte code point of the new line, and hold back
    // the last bytes so that the following write starts in the middle of this line.
    const cuts = new Set<number>([1]);
    for (let i = start; i < this.pending.length; i += 1) {
      if (((this.pending[i] ?? 0) & 0xc0) === 0xc0) {
        cuts.add(i + 1);
        break;
      }
    }
    const holdBack = Math.max(this.pending.length - 3, 0);
    cuts.add(holdBack);
    const ordered = [...cuts].filter((c) => c > 0 && c <= holdBack).sort((a, b) => a - b);
    let from = 0;
    for (const cut of ordered) {
      if (cut <= from) continue;
      if (!(await this.write(this.pending.subarray(from, cut)))) return false;
      from = cut;
      await sleep(1, this.signal);
    }
    this.pending = Buffer.from(this.pending.subarray(from));
    return !this.signal.aborted;
  }

  async flush(): Promise<boolean> {
    if (this.pending.length === 0) return !this.signal.aborted;
    const rest = this.pending;
    this.pending = Buffer.alloc(0);
    return this.write(rest);
  }

  /** Writes a body without the trailing newline (non-streaming JSON), split on demand. */
  async body(text: string): Promise<boolean> {
    const bytes = Buffer.from(text, 'utf8');
    if (!this.split || bytes.length < 4) return this.write(bytes);
    let multiByte = bytes.findIndex((b) => (b & 0xc0) === 0xc0);
    if (multiByte < 0) multiByte = Math.floor(bytes.length / 2);
    const cuts = [...new Set([1, multiByte + 1, bytes.length - 1])].filter((c) => c > 0 && c < bytes.length).sort((a, b) => a - b);
    let from = 0;
    for (const cut of cuts) {
      if (cut <= from) continue;
      if (!(await this.write(bytes.subarray(from, cut)))) return false;
      from = cut;
      await sleep(1, this.signal);
    }
    return this.write(bytes.subarray(from));
  }

  private async write(bytes: Buffer): Promise<boolean> {
    if (this.signal.aborted || this.res.destroyed) return false;
    if (this.res.write(bytes)) return true;
    const drained = once(this.res, 'drain', { signal: this.signal }).then(
      () => true,
      () => false,
    );
    return drained;
  }
}

// ---------------------------------------------------------------------------------------------
// The server
// ---------------------------------------------------------------------------------------------

interface ActiveGeneration {
  /** deadline after which produced tokens count as tokens for nobody */
  clientGoneDeadline: number | undefined;
}

interface Exchange {
  readonly req: http.IncomingMessage;
  readonly res: http.ServerResponse;
  readonly record: RecordedRequest;
  /** aborted when the client closes the connection before the response is complete */
  readonly signal: AbortSignal;
  /** set before the fake destroys the socket itself, so that is not counted as a client abort */
  selfDropped: boolean;
}

type StreamPiece = { field: 'thinking' | 'content'; text: string };

interface GenerationPlan {
  kind: 'generate' | 'chat';
  /** the model name as the client wrote it (Ollama echoes it) */
  modelName: string;
  model: FakeModel;
  streaming: boolean;
  pieces: StreamPiece[];
  doneReason: 'stop' | 'length';
  promptEvalCount: number;
  /** generate returns `context` unless raw */
  includeContext: boolean;
}

export class FakeOllama {
  readonly requests: RecordedRequest[] = [];
  stats: FakeStats = emptyStats();
  private globalBehaviour: Behaviour;
  private readonly modelBehaviour = new Map<string, Behaviour>();
  private readonly models: Map<string, FakeModel>;
  private readonly loaded = new Map<string, number>();
  private readonly active = new Set<ActiveGeneration>();
  private nextRequestId = 1;
  private readonly server: http.Server;
  private port = 0;

  constructor(private readonly options: FakeOllamaOptions = {}) {
    this.globalBehaviour = { ...options.behaviour };
    this.models = new Map((options.models ?? DEFAULT_MODELS).map((m) => [m.name, m]));
    this.server = http.createServer((req, res) => {
      this.handle(req, res).catch((error: unknown) => {
        if (!res.headersSent && !res.destroyed) {
          this.sendJson(res, 500, { error: error instanceof Error ? error.message : String(error) });
        } else {
          res.destroy();
        }
      });
    });
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async listen(): Promise<this> {
    this.server.listen(this.options.port ?? 0, '127.0.0.1');
    await once(this.server, 'listening');
    const address = this.server.address();
    if (address === null || typeof address === 'string') throw new Error('fake Ollama has no TCP address');
    this.port = address.port;
    return this;
  }

  /** Merges knobs, globally or for one model (model knobs win over global ones). Undefined values clear a knob. */
  behave(knobs: Behaviour, model?: string): void {
    const target = model === undefined ? this.globalBehaviour : { ...this.modelBehaviour.get(normaliseModelName(model)) };
    for (const [key, value] of Object.entries(knobs)) {
      if (value === undefined) Reflect.deleteProperty(target, key);
      else Reflect.set(target, key, value);
    }
    if (model !== undefined) this.modelBehaviour.set(normaliseModelName(model), target);
  }

  /** Clears requests, stats, knobs and loaded models. Generations still running keep going until they end. */
  reset(): void {
    this.requests.length = 0;
    this.stats = { ...emptyStats(), activeGenerations: this.stats.activeGenerations };
    this.globalBehaviour = { ...this.options.behaviour };
    this.modelBehaviour.clear();
    this.loaded.clear();
  }

  /**
   * Declares that the client at the far end (in front of a relay) is gone now. Generations running at
   * this moment must stop within `graceMs`; every token they still produce after that counts in
   * `stats.tokensAfterClientGone`.
   */
  markClientGone(graceMs = 150): void {
    const deadline = Date.now() + graceMs;
    for (const generation of this.active) generation.clientGoneDeadline ??= deadline;
  }

  /** Polls until `predicate` holds; rejects after `timeoutMs` naming what was awaited. */
  async waitFor(predicate: (fake: this) => boolean, timeoutMs = 2000, what = 'condition'): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate(this)) {
      if (Date.now() > deadline) {
        throw new Error(`fake Ollama: timed out after ${timeoutMs} ms waiting for ${what}; stats ${JSON.stringify(this.stats)}`);
      }
      await sleep(5);
    }
  }

  /** The requests for one path, oldest first. */
  requestsTo(path: string): RecordedRequest[] {
    return this.requests.filter((r) => r.path === path);
  }

  /** A JSON-safe summary (no bodies) for the control route and for error messages. */
  summary(): { stats: FakeStats; requests: Array<{ id: number; method: string; path: string; model: string | undefined; status: number | undefined; closedEarly: boolean }> } {
    return {
      stats: { ...this.stats },
      requests: this.requests.map((r) => ({
        id: r.id,
        method: r.method,
        path: r.path,
        model: isRecord(r.body) && typeof r.body.model === 'string' ? r.body.model : undefined,
        status: r.status,
        closedEarly: r.closedEarly,
      })),
    };
  }

  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await closed;
  }

  // --- dispatch -------------------------------------------------------------------------------

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake.invalid');
    const path = url.pathname;
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
    const rawBody = Buffer.concat(chunks).toString('utf8');

    if (this.options.control === true && path.startsWith('/_fake/')) {
      this.handleControl(req.method ?? 'GET', path, rawBody, res);
      return;
    }

    let body: unknown;
    try {
      body = rawBody === '' ? undefined : JSON.parse(rawBody);
    } catch {
      body = undefined;
    }
    const record: RecordedRequest = {
      id: this.nextRequestId++,
      method: req.method ?? 'GET',
      path,
      url: req.url ?? '/',
      headers: { ...req.headers },
      rawBody,
      body,
      receivedAt: Date.now(),
      closedAt: undefined,
      closedEarly: false,
      status: undefined,
    };
    this.requests.push(record);
    const controller = new AbortController();
    const exchange: Exchange = { req, res, record, signal: controller.signal, selfDropped: false };
    res.on('close', () => {
      record.closedAt = Date.now();
      record.status = res.headersSent ? res.statusCode : undefined;
      if (!res.writableFinished && !exchange.selfDropped) {
        record.closedEarly = true;
        controller.abort();
      }
    });
    res.setHeader('Date', new Date().toUTCString());

    // Middleware order as in routes: CORS, then the Host check; both answer 403 with an empty body.
    if (!isAllowedOrigin(req.headers.origin, req.headers.host) || !isAllowedHost(req.headers.host)) {
      res.writeHead(403).end();
      return;
    }
    if (isAdminPath(path)) this.stats.adminRequests += 1;

    const methods = methodsFor(path);
    if (methods === undefined) {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('404 page not found');
      return;
    }
    if (!methods.some((m) => m === req.method)) {
      res.writeHead(405, { 'Content-Type': 'text/plain' }).end('405 method not allowed');
      return;
    }

    const knobs = this.knobsFor(body);
    if (knobs.hangBeforeHeaders === true) return; // the connection stays open until the client leaves
    if (knobs.statusOverride !== undefined) {
      this.sendJson(res, knobs.statusOverride, { error: `fake status ${knobs.statusOverride}` });
      return;
    }

    try {
      await this.route(path, exchange, knobs);
    } catch (error: unknown) {
      if (!(error instanceof HttpError)) throw error;
      if (!res.headersSent) this.sendJson(res, error.status, { error: error.message });
    }
  }

  private knobsFor(body: unknown): Behaviour {
    const model = isRecord(body) && typeof body.model === 'string' ? normaliseModelName(body.model) : undefined;
    return { ...this.globalBehaviour, ...(model === undefined ? {} : this.modelBehaviour.get(model)) };
  }

  private async route(path: string, exchange: Exchange, knobs: Behaviour): Promise<void> {
    const { res, record } = exchange;
    switch (path) {
      case '/':
        res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' }).end(record.method === 'HEAD' ? undefined : 'Ollama is running');
        return;
      case '/api/version':
        this.sendJson(res, 200, { version: this.options.version ?? '0.12.6' });
        return;
      case '/api/tags':
        this.sendJson(res, 200, { models: [...this.models.values()].map((m) => this.describeListed(m)) });
        return;
      case '/api/ps':
        this.sendJson(res, 200, { models: this.describeLoaded() });
        return;
      case '/api/show':
        this.show(exchange);
        return;
      case '/api/embed':
      case '/api/embeddings':
        await this.embed(exchange, knobs, path === '/api/embed');
        return;
      case '/api/generate':
      case '/api/chat':
        await this.inference(exchange, knobs, path === '/api/chat' ? 'chat' : 'generate');
        return;
      default:
        this.admin(exchange);
    }
  }

  private handleControl(method: string, path: string, rawBody: string, res: http.ServerResponse): void {
    if (path === '/_fake/stats' && method === 'GET') {
      this.sendJson(res, 200, this.summary());
    } else if (path === '/_fake/reset' && method === 'POST') {
      this.reset();
      this.sendJson(res, 200, { ok: true });
    } else if (path === '/_fake/client-gone' && method === 'POST') {
      // The out-of-process twin of markClientGone(): the test says when its user stopped listening.
      const graceMs = /^\d+$/.test(rawBody.trim()) ? Number(rawBody.trim()) : undefined;
      this.markClientGone(graceMs);
      this.sendJson(res, 200, { ok: true });
    } else if (path === '/_fake/behave' && method === 'POST') {
      let parsed: unknown;
      try {
        parsed = JSON.parse(rawBody === '' ? '{}' : rawBody);
      } catch {
        this.sendJson(res, 400, { error: 'body is not JSON' });
        return;
      }
      const result = behaveRequestSchema.safeParse(parsed);
      if (!result.success) {
        this.sendJson(res, 400, { error: result.error.message });
        return;
      }
      const { model, ...knobs } = result.data;
      this.behave(knobs, model);
      this.sendJson(res, 200, { ok: true });
    } else {
      this.sendJson(res, 404, { error: 'unknown control route' });
    }
  }

  // --- model metadata -------------------------------------------------------------------------

  private findModel(name: string): FakeModel | undefined {
    return this.models.get(normaliseModelName(name));
  }

  private details(model: FakeModel): JsonObject {
    return {
      parent_model: '',
      format: 'gguf',
      family: model.family,
      families: [model.family],
      parameter_size: model.parameterSize,
      quantization_level: model.quantizationLevel,
    };
  }

  private digest(model: FakeModel): string {
    let hex = '';
    for (let i = 0; hex.length < 64; i += 1) hex += fakeEmbedding(`${model.name}#${i}`).map((n) => Math.abs(Math.round(n * 1e6)).toString(16)).join('');
    return hex.slice(0, 64).padEnd(64, '0');
  }

  private describeListed(model: FakeModel): JsonObject {
    return {
      name: model.name,
      model: model.name,
      modified_at: '2025-01-15T10:00:00.000000000Z',
      size: model.sizeBytes,
      digest: this.digest(model),
      details: this.details(model),
      capabilities: [...model.capabilities],
    };
  }

  private describeLoaded(): JsonObject[] {
    return [...this.loaded.entries()]
      .sort((a, b) => a[1] - b[1])
      .flatMap(([name, expires]) => {
        const model = this.models.get(name);
        if (model === undefined) return [];
        return [
          {
            name: model.name,
            model: model.name,
            size: model.sizeBytes,
            size_vram: model.sizeBytes,
            digest: this.digest(model),
            details: this.details(model),
            expires_at: new Date(expires).toISOString(),
            context_length: Math.min(4096, model.contextLength),
          },
        ];
      });
  }

  private show(exchange: Exchange): void {
    const request = bindJson(exchange.record.rawBody, 'ShowRequest');
    const name = typeof request.model === 'string' && request.model !== '' ? request.model : request.name;
    if (typeof name !== 'string' || name === '') throw new HttpError(400, 'model is required');
    const model = this.findModel(name);
    if (model === undefined) throw new HttpError(404, `model '${name}' not found`);
    const arch = model.family;
    const parameters = model.parameters.map(([key, value]) => `${key.padEnd(30)} ${value}`).join('\n');
    this.sendJson(exchange.res, 200, {
      license: 'Apache License\nVersion 2.0, January 2004',
      modelfile: `# Modelfile generated by "ollama show"\nFROM ${model.name}\nTEMPLATE """${model.template}"""\n${model.parameters.map(([k, v]) => `PARAMETER ${k} ${v}`).join('\n')}\n`,
      parameters,
      template: model.template,
      details: this.details(model),
      model_info: {
        'general.architecture': arch,
        'general.parameter_count': Math.round(model.sizeBytes / 0.6),
        'general.file_type': 15,
        [`${arch}.context_length`]: model.contextLength,
        [`${arch}.embedding_length`]: 1536,
        [`${arch}.block_count`]: 28,
        'tokenizer.ggml.model': 'gpt2',
        'tokenizer.ggml.tokens': null,
      },
      capabilities: [...model.capabilities],
      modified_at: '2025-01-15T10:00:00.000000000Z',
    });
  }

  private admin(exchange: Exchange): void {
    const { res, record } = exchange;
    if (record.path === '/api/pull' || record.path === '/api/push' || record.path === '/api/create') {
      this.sendJson(res, 200, { status: 'success' });
    } else {
      res.writeHead(200).end();
    }
  }

  // --- embeddings ----------------------------------------------------------------------------

  private async embed(exchange: Exchange, knobs: Behaviour, modern: boolean): Promise<void> {
    const request = bindJson(exchange.record.rawBody, modern ? 'EmbedRequest' : 'EmbeddingRequest');
    const name = request.model;
    if (typeof name !== 'string' || name === '') throw new HttpError(400, 'model is required');
    const model = this.findModel(name);
    if (model === undefined) throw new HttpError(404, `model '${name}' not found`);
    if (knobs.errorBeforeStream !== undefined) throw new HttpError(knobs.errorBeforeStream.status, knobs.errorBeforeStream.message);
    const started = process.hrtime.bigint();
    if (!(await sleep((knobs.loadDelayMs ?? 0) + (knobs.firstTokenDelayMs ?? 0), exchange.signal))) return;
    this.markLoaded(model);
    if (!modern) {
      const prompt = typeof request.prompt === 'string' ? request.prompt : '';
      this.sendJson(exchange.res, 200, { embedding: prompt === '' ? [] : fakeEmbedding(prompt) });
      return;
    }
    const input = request.input;
    const texts = typeof input === 'string' ? [input] : Array.isArray(input) ? input.filter((t): t is string => typeof t === 'string') : [];
    if (input !== undefined && typeof input !== 'string' && !Array.isArray(input)) throw new HttpError(400, 'invalid input type');
    this.sendJson(exchange.res, 200, {
      model: name,
      embeddings: texts.map(fakeEmbedding),
      total_duration: Number(process.hrtime.bigint() - started) || 1,
      load_duration: (knobs.loadDelayMs ?? 0) * 1e6 || 1_000_000,
      prompt_eval_count: texts.reduce((n, t) => n + t.split(/\s+/).filter(Boolean).length, 0),
    });
  }

  private markLoaded(model: FakeModel): void {
    this.loaded.set(model.name, Date.now() + 5 * 60_000);
  }

  // --- generate and chat ---------------------------------------------------------------------

  private async inference(exchange: Exchange, knobs: Behaviour, kind: 'generate' | 'chat'): Promise<void> {
    const request = bindJson(exchange.record.rawBody, kind === 'chat' ? 'ChatRequest' : 'GenerateRequest');
    const name = request.model;
    if (typeof name !== 'string' || name === '') throw new HttpError(400, 'model is required');
    if (kind === 'generate' && request.raw === true && (nonEmpty(request.template) || nonEmpty(request.system) || Array.isArray(request.context))) {
      throw new HttpError(400, 'raw mode does not support template, system, or context');
    }
    const model = this.findModel(name);
    if (model === undefined) throw new HttpError(404, `model '${name}' not found`);
    if (!model.capabilities.includes('completion')) throw new HttpError(400, `"${name}" does not support ${kind}`);
    if (kind === 'generate' && nonEmpty(request.suffix) && !model.capabilities.includes('insert')) {
      throw new HttpError(400, `registry.ollama.ai/library/${model.name} does not support insert`);
    }
    if (kind === 'chat' && Array.isArray(request.tools) && request.tools.length > 0 && !model.capabilities.includes('tools')) {
      throw new HttpError(400, `registry.ollama.ai/library/${model.name} does not support tools`);
    }
    const thinkRequested = request.think === true || typeof request.think === 'string';
    if (thinkRequested && !model.capabilities.includes('thinking')) throw new HttpError(400, `"${name}" does not support thinking`);
    if (knobs.errorBeforeStream !== undefined) throw new HttpError(knobs.errorBeforeStream.status, knobs.errorBeforeStream.message);

    const streaming = request.stream !== false;
    const inputText = kind === 'chat' ? lastUserContent(request.messages) : typeof request.prompt === 'string' ? request.prompt : '';
    const isLoadOnly = kind === 'chat' ? !Array.isArray(request.messages) || request.messages.length === 0 : inputText === '';
    if (isLoadOnly) {
      if (!(await sleep(knobs.loadDelayMs ?? 0, exchange.signal))) return;
      const unload = request.keep_alive === 0 || request.keep_alive === '0';
      if (unload) this.loaded.delete(model.name);
      else this.markLoaded(model);
      const base = { model: name, created_at: new Date().toISOString() };
      const reply = kind === 'chat' ? { ...base, message: { role: 'assistant', content: '' } } : { ...base, response: '' };
      this.sendJson(exchange.res, 200, { ...reply, done: true, done_reason: unload ? 'unload' : 'load' });
      return;
    }

    const options = isRecord(request.options) ? request.options : {};
    const numPredict = typeof options.num_predict === 'number' && options.num_predict > 0 ? options.num_predict : undefined;
    const allTokens = fakeReplyTokens(inputText, knobs.tokens);
    const contentTokens = numPredict === undefined ? allTokens : allTokens.slice(0, numPredict);
    const thinks = model.capabilities.includes('thinking') && request.think !== false;
    const pieces: StreamPiece[] = [
      ...(thinks ? THINKING_TOKENS.map((text): StreamPiece => ({ field: 'thinking', text })) : []),
      ...contentTokens.map((text): StreamPiece => ({ field: 'content', text })),
    ];
    await this.generate(exchange, knobs, {
      kind,
      modelName: name,
      model,
      streaming,
      pieces,
      doneReason: contentTokens.length < allTokens.length ? 'length' : 'stop',
      promptEvalCount: Math.max(1, inputText.split(/\s+/).filter(Boolean).length + 4),
      includeContext: kind === 'generate' && request.raw !== true,
    });
  }

  private async generate(
    exchange: Exchange,
    knobs: Behaviour,
    plan: GenerationPlan,
  ): Promise<void> {
    const { res, signal } = exchange;
    const started = process.hrtime.bigint();
    const generation: ActiveGeneration = { clientGoneDeadline: undefined };
    this.stats.generationsStarted += 1;
    this.stats.activeGenerations += 1;
    this.active.add(generation);
    let outcome: 'completed' | 'aborted' | 'failed' = 'aborted';
    try {
      outcome = await this.runGeneration(exchange, knobs, plan, generation, started);
    } finally {
      this.active.delete(generation);
      this.stats.activeGenerations -= 1;
      if (outcome === 'completed') this.stats.generationsCompleted += 1;
      else if (outcome === 'failed') this.stats.generationsFailed += 1;
      else this.stats.generationsAborted += 1;
      if (outcome !== 'completed' && !res.destroyed && signal.aborted) res.destroy();
    }
  }

  private async runGeneration(
    exchange: Exchange,
    knobs: Behaviour,
    plan: GenerationPlan,
    generation: ActiveGeneration,
    started: bigint,
  ): Promise<'completed' | 'aborted' | 'failed'> {
    const { res, signal } = exchange;
    const writer = new LineWriter(res, knobs.splitChunks === true, signal);
    const loadMs = knobs.loadDelayMs ?? 0;
    if (!(await sleep(loadMs + (knobs.firstTokenDelayMs ?? 0), signal))) return 'aborted';
    this.markLoaded(plan.model);
    const evalStarted = process.hrtime.bigint();
    const base = (): JsonObject => ({ model: plan.modelName, created_at: new Date().toISOString() });
    const chunkFor = (piece: StreamPiece): JsonObject =>
      plan.kind === 'chat'
        ? { ...base(), message: { role: 'assistant', content: piece.field === 'content' ? piece.text : '', ...(piece.field === 'thinking' ? { thinking: piece.text } : {}) }, done: false }
        : { ...base(), response: piece.field === 'content' ? piece.text : '', ...(piece.field === 'thinking' ? { thinking: piece.text } : {}), done: false };

    let produced = 0;
    for (const piece of plan.pieces) {
      if (produced > 0 && !(await sleep(knobs.tokenDelayMs ?? 0, signal))) return 'aborted';
      if (signal.aborted) return 'aborted';
      if (knobs.dropAfterTokens !== undefined && produced >= knobs.dropAfterTokens) {
        this.startNdjson(res);
        await writer.flush();
        // Let the tokens already written reach the client, as they would have on a real crash.
        for (let waited = 0; (res.socket?.writableLength ?? 0) > 0 && waited < 200; waited += 5) await sleep(5);
        await sleep(10);
        exchange.selfDropped = true;
        res.socket?.destroy();
        res.destroy();
        return 'failed';
      }
      if (knobs.errorAfterTokens !== undefined && produced >= knobs.errorAfterTokens) {
        const message = knobs.errorMessage ?? DEFAULT_ERROR_MESSAGE;
        if (!plan.streaming) {
          this.sendJson(res, 500, { error: message });
          return 'failed';
        }
        this.startNdjson(res);
        await writer.line(JSON.stringify({ error: message }));
        await writer.flush();
        res.end();
        return 'failed';
      }
      if (knobs.malformedAfterTokens !== undefined && produced === knobs.malformedAfterTokens && plan.streaming) {
        this.startNdjson(res);
        if (!(await writer.line('<html>upstream proxy error: this is not JSON'))) return 'aborted';
      }
      produced += 1;
      this.stats.tokensProduced += 1;
      if (generation.clientGoneDeadline !== undefined && Date.now() > generation.clientGoneDeadline) this.stats.tokensAfterClientGone += 1;
      if (plan.streaming) {
        this.startNdjson(res);
        if (!(await writer.line(JSON.stringify(chunkFor(piece))))) return 'aborted';
      }
    }
    if (signal.aborted) return 'aborted';

    const content = plan.pieces.filter((p) => p.field === 'content').map((p) => p.text).join('');
    const thinking = plan.pieces.filter((p) => p.field === 'thinking').map((p) => p.text).join('');
    const now = process.hrtime.bigint();
    const evalDuration = Number(now - evalStarted) || produced * 1_000_000 || 1;
    const metrics: JsonObject = {
      total_duration: Number(now - started) || 1,
      load_duration: loadMs > 0 ? loadMs * 1_000_000 : 1_234_567,
      prompt_eval_count: plan.promptEvalCount,
      prompt_eval_duration: 2_345_678,
      ...(produced > 0 ? { eval_count: produced, eval_duration: evalDuration } : {}),
    };
    const context = plan.includeContext ? { context: Array.from({ length: plan.promptEvalCount + produced }, (_, i) => 151_000 + i) } : {};
    if (plan.streaming) {
      const final =
        plan.kind === 'chat'
          ? { ...base(), message: { role: 'assistant', content: '' }, done: true, done_reason: plan.doneReason, ...metrics }
          : { ...base(), response: '', done: true, done_reason: plan.doneReason, ...context, ...metrics };
      this.startNdjson(res);
      if (!(await writer.line(JSON.stringify(final)))) return 'aborted';
      if (!(await writer.flush())) return 'aborted';
      res.end();
      return 'completed';
    }
    const thinkingField = thinking === '' ? {} : { thinking };
    const whole =
      plan.kind === 'chat'
        ? { ...base(), message: { role: 'assistant', content, ...thinkingField }, done: true, done_reason: plan.doneReason, ...metrics }
        : { ...base(), response: content, ...thinkingField, done: true, done_reason: plan.doneReason, ...context, ...metrics };
    let body = JSON.stringify(whole);
    if (knobs.malformedAfterTokens !== undefined) body = body.slice(0, Math.floor(body.length / 2));
    res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8' });
    if (!(await writer.body(body))) return 'aborted';
    res.end();
    return 'completed';
  }

  private startNdjson(res: http.ServerResponse): void {
    if (!res.headersSent) res.writeHead(200, { 'Content-Type': 'application/x-ndjson' });
  }

  private sendJson(res: http.ServerResponse, status: number, value: unknown): void {
    const body = JSON.stringify(value);
    res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(body) });
    res.end(body);
  }
}

function nonEmpty(value: unknown): boolean {
  return typeof value === 'string' && value !== '';
}

function lastUserContent(messages: unknown): string {
  if (!Array.isArray(messages)) return '';
  for (let i = messages.length - 1; i >= 0; i -= 1) {
    const message: unknown = messages[i];
    if (isRecord(message) && message.role === 'user') return typeof message.content === 'string' ? message.content : '';
  }
  return '';
}

export async function startFakeOllama(options: FakeOllamaOptions = {}): Promise<FakeOllama> {
  return new FakeOllama(options).listen();
}
