/**
 * Plain `node:http` requests that show what a client really receives: every byte, whether the body ended
 * cleanly or the connection was cut, and the headers. The `ollama`/`openai` clients would hide a cut
 * stream or a missing terminal frame, which is exactly what this suite must see.
 */
import http from 'node:http';
import { createParser } from 'eventsource-parser';
import { isRecord } from '../../support/json';

export { isRecord };

export interface Received {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  /** the body did not end cleanly: the connection was reset or destroyed mid-body */
  cut: boolean;
}

export interface SendOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: unknown;
  signal?: AbortSignal;
  /** called with each body chunk as it arrives */
  onChunk?: (bytes: Buffer) => void;
  timeoutMs?: number;
  agent?: http.Agent | false;
}

/**
 * Sends one request. Resolves once the response is over (cleanly or cut); rejects when no response
 * arrived at all (refused, reset before headers, aborted) or nothing completed within `timeoutMs`.
 */
export function send(url: string, options: SendOptions = {}): Promise<Received> {
  const timeoutMs = options.timeoutMs ?? 15_000;
  const payload = options.body === undefined ? undefined : Buffer.from(typeof options.body === 'string' ? options.body : JSON.stringify(options.body));
  const headers: Record<string, string> = { ...options.headers };
  if (payload) {
    headers['Content-Type'] ??= 'application/json';
    headers['Content-Length'] = String(payload.length);
  }
  return new Promise((resolve, reject) => {
    const request = http.request(url, {
      method: options.method ?? (payload ? 'POST' : 'GET'),
      headers,
      agent: options.agent ?? false,
      ...(options.signal ? { signal: options.signal } : {}),
    });
    const timer = setTimeout(() => {
      request.destroy();
      reject(new Error(`${options.method ?? 'request'} ${url} did not complete within ${timeoutMs} ms`));
    }, timeoutMs);
    request.on('response', (response) => {
      const chunks: Buffer[] = [];
      let settled = false;
      const finish = (cut: boolean): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks).toString('utf8'), cut });
      };
      response.on('data', (bytes: Buffer) => {
        chunks.push(bytes);
        options.onChunk?.(bytes);
      });
      response.on('end', () => finish(false));
      response.on('error', () => finish(true));
      response.on('close', () => finish(!response.complete));
    });
    request.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    request.end(payload);
  });
}

export function bearer(token: string): Record<string, string> {
  return { Authorization: `Bearer ${token}` };
}

/** One NDJSON line: its parsed value, or `undefined` when the line is not JSON (kept as `raw`). */
export interface NdjsonLine {
  raw: string;
  value: Record<string, unknown> | undefined;
}

export function ndjsonLines(body: string): NdjsonLine[] {
  return body
    .split('\n')
    .filter((line) => line !== '')
    .map((raw) => {
      try {
        const value: unknown = JSON.parse(raw);
        return { raw, value: isRecord(value) ? value : undefined };
      } catch {
        return { raw, value: undefined };
      }
    });
}

/** The text a native stream carried (generate `response` or chat `message.content`). */
export function nativeText(lines: readonly NdjsonLine[]): string {
  return lines
    .map(({ value }) => {
      if (!value) return '';
      if (typeof value.response === 'string') return value.response;
      const message = value.message;
      return isRecord(message) && typeof message.content === 'string' ? message.content : '';
    })
    .join('');
}

/** The final `done:true` record of a native stream, if any. */
export function doneRecord(lines: readonly NdjsonLine[]): Record<string, unknown> | undefined {
  return lines.map((line) => line.value).find((value) => value?.done === true);
}

/** The `relay` object of a final record or chunk. */
export function relayObject(record: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  const relay = record?.relay;
  return isRecord(relay) ? relay : undefined;
}

/** The `data` fields of an SSE body, in order; heartbeat comments are skipped by the parser. */
export function sseData(body: string): string[] {
  const data: string[] = [];
  const parser = createParser({ onEvent: (event) => data.push(event.data) });
  parser.feed(body);
  return data;
}

/** The events of an SSE body parsed as JSON objects, without the `[DONE]` marker. */
export function sseObjects(body: string): Array<Record<string, unknown>> {
  return sseData(body)
    .filter((data) => data !== '[DONE]')
    .map((data): unknown => JSON.parse(data))
    .filter(isRecord);
}

/** The text an OpenAI chat stream carried (`choices[0].delta.content`). */
export function sseChatText(events: ReadonlyArray<Record<string, unknown>>): string {
  return events
    .map((event) => {
      const choices = event.choices;
      const first: unknown = Array.isArray(choices) ? choices[0] : undefined;
      const delta = isRecord(first) ? first.delta : undefined;
      return isRecord(delta) && typeof delta.content === 'string' ? delta.content : '';
    })
    .join('');
}

/** The value of one Prometheus sample, e.g. `relay_upstream_up{upstream="http://127.0.0.1:1"}`; undefined when absent. */
export function metricValue(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const wanted = Object.entries(labels).map(([key, value]) => `${key}="${value}"`);
  for (const line of text.split('\n')) {
    if (!line.startsWith(name) || line.startsWith('#')) continue;
    const rest = line.slice(name.length);
    if (rest[0] !== '{' && rest[0] !== ' ') continue;
    const labelText = rest[0] === '{' ? rest.slice(1, rest.indexOf('}')) : '';
    if (!wanted.every((pair) => labelText.split(',').includes(pair))) continue;
    return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
}
