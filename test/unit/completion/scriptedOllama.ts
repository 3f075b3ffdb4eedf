/**
 * A small Ollama stand-in on 127.0.0.1:0 whose `/api/generate` answers are scripted per test, so a test
 * controls exactly what the model "says" and when. Framing follows ollama-api.md §6: NDJSON lines with a
 * final `done:true` record, `{"error"}` with a status before the stream. `/api/show` and `/api/tags` are
 * answered from a model table. Streams can be held open until the test releases them, and every request
 * records whether its client closed the connection before the answer was complete.
 */
import http from 'node:http';
import { once } from 'node:events';

export interface ScriptedModel {
  name: string;
  family: string;
  capabilities: string[];
  contextLength: number;
}

export interface GenerateScript {
  /** HTTP error before any byte of the stream. */
  status?: number;
  error?: string;
  /** `response` texts, one NDJSON line each. */
  chunks?: string[];
  /** Write the chunks, then wait for `release()` before `afterRelease` and the final record. */
  hold?: boolean;
  afterRelease?: string[];
  /** Instead of the final record, one `{"error"}` line (a mid-stream failure, as Ollama writes it). */
  errorLine?: string;
}

export interface SeenRequest {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: Record<string, unknown>;
  closedEarly: boolean;
  finished: boolean;
}

export class ScriptedOllama {
  readonly requests: SeenRequest[] = [];
  /** Decides the answer to each `/api/generate` body. */
  script: (body: Record<string, unknown>) => GenerateScript = () => ({ chunks: ['ok'] });
  /** When set, requests without `Authorization: Bearer <token>` get 401. */
  requiredToken: string | undefined;
  private readonly held: Array<() => void> = [];
  private readonly server: http.Server;

  constructor(readonly models: ScriptedModel[]) {
    this.server = http.createServer((req, res) => void this.handle(req, res));
  }

  get url(): string {
    const address = this.server.address();
    if (address === null || typeof address === 'string') throw new Error('not listening');
    return `http://127.0.0.1:${address.port}`;
  }

  async listen(): Promise<this> {
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    return this;
  }

  async close(): Promise<void> {
    for (const release of this.held.splice(0)) release();
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await closed;
  }

  generateRequests(): SeenRequest[] {
    return this.requests.filter((request) => request.path === '/api/generate');
  }

  /** Lets every held stream finish. */
  release(): void {
    for (const release of this.held.splice(0)) release();
  }

  /** Polls until `predicate` holds; rejects after `timeoutMs` naming what was awaited. */
  async waitFor(predicate: () => boolean, what: string, timeoutMs = 3000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
    const text = Buffer.concat(chunks).toString('utf8');
    const parsed: unknown = text === '' ? {} : JSON.parse(text);
    const body = isRecord(parsed) ? parsed : {};
    const seen: SeenRequest = { path: new URL(req.url ?? '/', 'http://x').pathname, headers: req.headers, body, closedEarly: false, finished: false };
    this.requests.push(seen);
    res.on('close', () => {
      seen.closedEarly = !res.writableFinished;
    });
    if (this.requiredToken !== undefined && req.headers.authorization !== `Bearer ${this.requiredToken}`) {
      sendJson(res, 401, { error: 'unauthorized' });
      return;
    }
    if (seen.path === '/api/tags') {
      sendJson(res, 200, { models: this.models.map((m) => ({ name: m.name, model: m.name, details: { family: m.family }, capabilities: m.capabilities })) });
    } else if (seen.path === '/api/show') {
      const model = this.models.find((m) => m.name === body.model);
      if (!model) sendJson(res, 404, { error: `model '${String(body.model)}' not found` });
      else sendJson(res, 200, showBody(model));
    } else if (seen.path === '/api/generate') {
      await this.generate(body, res);
      seen.finished = res.writableFinished;
    } else {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('404 page not found');
    }
  }

  private async generate(body: Record<string, unknown>, res: http.ServerResponse): Promise<void> {
    const answer = this.script(body);
    if (answer.status !== undefined) {
      sendJson(res, answer.status, { error: answer.error ?? 'error' });
      return;
    }
    res.writeHead(200, { 'Content-Type': 'application/x-ndjson' });
    const writeChunks = (texts: string[] | undefined): void => {
      for (const chunk of texts ?? []) res.write(`${JSON.stringify({ model: body.model, created_at: new Date().toISOString(), response: chunk, done: false })}\n`);
    };
    writeChunks(answer.chunks);
    if (answer.hold) {
      const closed = once(res, 'close');
      await Promise.race([new Promise<void>((resolve) => this.held.push(resolve)), closed]);
      if (res.destroyed) return;
      writeChunks(answer.afterRelease);
    }
    if (answer.errorLine !== undefined) {
      res.end(`${JSON.stringify({ error: answer.errorLine })}\n`);
      return;
    }
    res.end(`${JSON.stringify({ model: body.model, created_at: new Date().toISOString(), response: '', done: true, done_reason: 'stop', eval_count: 1, eval_duration: 1 })}\n`);
  }
}

function showBody(model: ScriptedModel): Record<string, unknown> {
  return {
    template: '{{ .Prompt }}',
    details: { family: model.family, families: [model.family] },
    model_info: { 'general.architecture': model.family, [`${model.family}.context_length`]: model.contextLength },
    capabilities: model.capabilities,
  };
}

function sendJson(res: http.ServerResponse, status: number, value: unknown): void {
  const text = JSON.stringify(value);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export async function startScriptedOllama(models: ScriptedModel[]): Promise<ScriptedOllama> {
  return new ScriptedOllama(models).listen();
}
