/**
 * Plain `node:http` requests with full control of headers (Host, Origin) and visibility of every
 * received chunk, for assertions that the `ollama`/`openai` clients would hide.
 */
import http from 'node:http';
import { isRecord } from '../../support/json';

export { isRecord };

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** each `data` event of the body, in order, with the time it arrived */
  chunks: Array<{ bytes: Buffer; at: number }>;
  body: string;
  /** true when the body ended by a connection error instead of a clean end */
  aborted: boolean;
}

export interface RawRequestOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** reject with a clear message when nothing completes by then */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** called for each body chunk as it arrives */
  onChunk?: (bytes: Buffer) => void;
}

export function rawRequest(url: string, options: RawRequestOptions = {}): Promise<RawResponse> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const body = options.body === undefined ? undefined : Buffer.isBuffer(options.body) ? options.body : Buffer.from(options.body, 'utf8');
    const headers: Record<string, string> = { ...options.headers };
    if (body !== undefined && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-length')) {
      headers['Content-Length'] = String(body.length);
    }
    const req = http.request(
      {
        host: target.hostname,
        port: target.port,
        path: `${target.pathname}${target.search}`,
        method: options.method ?? (body === undefined ? 'GET' : 'POST'),
        headers,
        agent: false,
        ...(options.signal === undefined ? {} : { signal: options.signal }),
      },
      (res) => {
        const chunks: RawResponse['chunks'] = [];
        let settled = false;
        const finish = (aborted: boolean): void => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            chunks,
            body: Buffer.concat(chunks.map((c) => c.bytes)).toString('utf8'),
            aborted,
          });
        };
        res.on('data', (bytes: Buffer) => {
          chunks.push({ bytes, at: Date.now() });
          options.onChunk?.(bytes);
        });
        res.on('end', () => finish(false));
        res.on('aborted', () => finish(true));
        res.on('error', () => finish(true));
        res.on('close', () => finish(!res.complete));
      },
    );
    const timer = setTimeout(() => {
      req.destroy();
      reject(new Error(`${options.method ?? 'GET'} ${url} did not complete within ${timeoutMs} ms`));
    }, timeoutMs);
    req.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    req.end(body);
  });
}

/** Splits an NDJSON body into parsed lines; throws on a non-JSON line. */
export function parseNdjson(body: string): unknown[] {
  return body
    .split('\n')
    .filter((line) => line !== '')
    .map((line): unknown => JSON.parse(line));
}

/** Reads a string field from an unknown value, or undefined. */
export function stringField(value: unknown, key: string): string | undefined {
  if (!isRecord(value)) return undefined;
  const field = value[key];
  return typeof field === 'string' ? field : undefined;
}
