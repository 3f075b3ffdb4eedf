/**
 * One Ollama host: its address, credentials and TLS material, and the only way the relay talks to it.
 *
 * Every upstream request goes through `send`, which sets `Host` to the upstream's own (Ollama on loopback
 * answers 403 to a foreign Host), never forwards the client's Origin or Authorization, adds the upstream
 * credentials from the environment, and enforces the connect and first-byte deadlines. An AbortSignal
 * destroys the socket, which is what makes Ollama stop generating.
 */
import http, { type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import https from 'node:https';
import { readFileSync } from 'node:fs';
import { Readable, pipeline } from 'node:stream';
import type { UpstreamConfig } from './config';
import { RelayError } from './errors';
import { ndjsonGuard } from './ndjsonGuard';

export interface UpstreamTls {
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
}

export interface UpstreamTimeouts {
  connectMs: number;
  firstByteMs: number;
  /** Silence allowed mid-stream on responses read through `fetch` (the native routes time their own). */
  streamIdleMs: number;
}

export interface SendOptions {
  method: string;
  /** Path below the upstream base, starting with `/`, e.g. `/api/chat`. */
  path: string;
  body?: Buffer;
  signal: AbortSignal;
  /** Extra headers (content type, accept); credentials and Host are always the relay's. */
  headers?: OutgoingHttpHeaders;
}

export interface UpstreamResponse {
  response: IncomingMessage;
  /** Milliseconds from send to a connected socket (0 for a reused keep-alive socket). */
  connectMs: number;
  /** Milliseconds from send to the response headers. */
  headersMs: number;
}

export function loadUpstreamTls(files: { caFile?: string; clientCertFile?: string; clientKeyFile?: string }): UpstreamTls {
  const read = (variable: string, path?: string): Buffer | undefined => {
    if (!path) return undefined;
    try {
      return readFileSync(path);
    } catch (error) {
      throw new Error(`${variable}: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  };
  return { ca: read('OLLAMA_CA_FILE', files.caFile), cert: read('OLLAMA_CLIENT_CERT_FILE', files.clientCertFile), key: read('OLLAMA_CLIENT_KEY_FILE', files.clientKeyFile) };
}

export class Upstream {
  readonly name: string;
  private readonly agent: http.Agent;
  private readonly client: typeof http | typeof https;
  private readonly basePath: string;

  constructor(
    readonly config: UpstreamConfig,
    tls: UpstreamTls,
    private readonly timeouts: UpstreamTimeouts,
  ) {
    this.name = config.name;
    const secure = config.url.protocol === 'https:';
    this.client = secure ? https : http;
    const agentOptions = { keepAlive: true, keepAliveMsecs: 15_000, scheduling: 'lifo' as const };
    this.agent = secure ? new https.Agent({ ...agentOptions, ca: tls.ca, cert: tls.cert, key: tls.key }) : new http.Agent(agentOptions);
    this.basePath = config.url.pathname === '/' ? '' : config.url.pathname;
  }

  send(options: SendOptions): Promise<UpstreamResponse> {
    const { signal } = options;
    if (signal.aborted) return Promise.reject(new RelayError(499, 'client closed the request'));
    const started = performance.now();
    const headers: OutgoingHttpHeaders = {
      Accept: 'application/json',
      ...options.headers,
      Host: this.config.url.host,
      'User-Agent': 'aide-relay',
    };
    if (options.body) {
      headers['Content-Type'] ??= 'application/json';
      headers['Content-Length'] = options.body.length;
    }
    if (this.config.authorization) headers.Authorization = this.config.authorization;

    return new Promise<UpstreamResponse>((resolve, reject) => {
      let connectMs = 0;
      let settled = false;
      const request = this.client.request({
        protocol: this.config.url.protocol,
        hostname: this.config.url.hostname.replace(/^\[|\]$/g, ''),
        port: this.config.url.port || undefined,
        method: options.method,
        path: this.basePath + options.path,
        headers,
        agent: this.agent,
      });
      const fail = (error: RelayError): void => {
        if (settled) return;
        settled = true;
        cleanup();
        request.destroy();
        reject(error);
      };
      const connectTimer = setTimeout(
        () => fail(new RelayError(504, `upstream ${this.name} did not accept the connection within ${this.timeouts.connectMs} ms`, 'upstream_timeout')),
        this.timeouts.connectMs,
      );
      const firstByteTimer = setTimeout(
        () => fail(new RelayError(504, `upstream ${this.name} sent no response within ${this.timeouts.firstByteMs} ms`, 'upstream_timeout')),
        this.timeouts.firstByteMs,
      );
      const onAbort = (): void =>
        fail(
          signal.reason instanceof DOMException && signal.reason.name === 'TimeoutError'
            ? new RelayError(504, `upstream ${this.name} did not answer in time`, 'upstream_timeout')
            : new RelayError(499, 'client closed the request'),
        );
      const cleanup = (): void => {
        clearTimeout(connectTimer);
        clearTimeout(firstByteTimer);
        signal.removeEventListener('abort', onAbort);
      };
      signal.addEventListener('abort', onAbort, { once: true });

      request.on('socket', (socket) => {
        const connecting = 'connecting' in socket && socket.connecting;
        if (!connecting) {
          clearTimeout(connectTimer);
          return;
        }
        socket.once(this.config.url.protocol === 'https:' ? 'secureConnect' : 'connect', () => {
          connectMs = performance.now() - started;
          clearTimeout(connectTimer);
        });
      });
      request.on('response', (response) => {
        if (settled) {
          response.destroy();
          return;
        }
        settled = true;
        cleanup();
        // Once headers are in, the caller owns the stream; a later abort must still close the socket.
        const closeOnAbort = (): void => {
          response.destroy();
          request.destroy();
        };
        signal.addEventListener('abort', closeOnAbort, { once: true });
        response.once('close', () => signal.removeEventListener('abort', closeOnAbort));
        resolve({ response, connectMs, headersMs: performance.now() - started });
      });
      request.on('error', (error: NodeJS.ErrnoException) => fail(describeConnectError(this.name, error)));
      request.end(options.body);
    });
  }

  /** A WHATWG fetch over `send`, for the `ollama` npm client: same credentials, TLS, deadlines and abort. */
  fetch: typeof fetch = async (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    const path = url.pathname.slice(this.basePath.length) + url.search;
    const raw = init?.body;
    // The ollama client sends JSON strings; anything else goes through the standard body extraction.
    const body = raw === undefined || raw === null ? undefined : typeof raw === 'string' ? Buffer.from(raw) : Buffer.from(await new Response(raw).arrayBuffer());
    const signal = init?.signal ?? new AbortController().signal;
    const { response } = await this.send({ method: init?.method ?? 'GET', path, body, signal });
    const status = response.statusCode ?? 502;
    const responseHeaders = new Headers();
    for (const [name, value] of Object.entries(response.headers)) {
      if (typeof value === 'string') responseHeaders.set(name, value);
    }
    const nullBody = status === 204 || status === 304 || init?.method === 'HEAD';
    if (nullBody) {
      response.resume();
      return new Response(null, { status, headers: responseHeaders });
    }
    let stream: Readable = response;
    if (status < 400 && /ndjson/.test(response.headers['content-type'] ?? '')) {
      const guard = ndjsonGuard();
      // Failures reach the `ollama` client as tagged RelayErrors, so callers can tell a dead host from an answer.
      const idle = setTimeout(
        () => guard.destroy(new RelayError(502, `upstream stalled: no data for ${this.timeouts.streamIdleMs} ms`, 'upstream_timeout')),
        this.timeouts.streamIdleMs,
      );
      response.on('data', () => idle.refresh());
      pipeline(response, guard, (error) => {
        clearTimeout(idle);
        if (error && !guard.destroyed) guard.destroy(new RelayError(502, 'upstream connection closed mid-stream', 'upstream_error'));
      });
      response.once('error', () => guard.destroy(new RelayError(502, 'upstream connection closed mid-stream', 'upstream_error')));
      stream = guard;
    }
    return new Response(Readable.toWeb(stream) as ReadableStream<Uint8Array>, { status, headers: responseHeaders });
  };

  close(): void {
    this.agent.destroy();
  }
}

function describeConnectError(name: string, error: NodeJS.ErrnoException): RelayError {
  const code = error.code ?? 'error';
  if (code === 'ECONNREFUSED') return new RelayError(502, `upstream ${name} refused the connection`, 'upstream_unreachable');
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return new RelayError(502, `upstream ${name} could not be resolved`, 'upstream_unreachable');
  if (code === 'ECONNRESET' || code === 'EPIPE') return new RelayError(502, `upstream ${name} closed the connection`, 'upstream_unreachable');
  if (/CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_VERIFY/i.test(code) || /certificate|handshake|alert/i.test(error.message)) {
    return new RelayError(502, `TLS to upstream ${name} failed (${code}): check OLLAMA_CA_FILE and the client certificate`, 'upstream_tls');
  }
  return new RelayError(502, `upstream ${name} failed (${code})`, 'upstream_unreachable');
}
