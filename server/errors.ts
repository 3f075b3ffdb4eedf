/**
 * Errors in the dialect of the route: native routes answer `{"error":"message"}` like Ollama; `/v1/*`
 * answers `{"error":{"message","type","code"}}` like OpenAI (and like Ollama's own compatibility layer).
 */
import type { ServerResponse } from 'node:http';

export type Dialect = 'native' | 'openai';

export class RelayError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code: string | null = null,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'RelayError';
  }
}

/** Codes of failures that say the host itself is unhealthy (as opposed to an answer it gave). */
const TRANSPORT_CODES = new Set(['upstream_unreachable', 'upstream_tls', 'upstream_timeout', 'upstream_error']);

/** True when the upstream could not be talked to (refused, reset, TLS, timeout, garbage) — what the circuit breaker counts. */
export function isTransportFailure(error: unknown): boolean {
  return error instanceof RelayError && error.code !== null && TRANSPORT_CODES.has(error.code);
}

export function dialectOf(path: string): Dialect {
  return path === '/v1' || path.startsWith('/v1/') ? 'openai' : 'native';
}

function openAiType(status: number): string {
  if (status === 401) return 'authentication_error';
  if (status === 403) return 'permission_error';
  if (status === 404) return 'not_found_error';
  if (status === 429) return 'rate_limit_error';
  if (status >= 400 && status < 500) return 'invalid_request_error';
  return 'api_error';
}

export function errorBody(dialect: Dialect, status: number, message: string, code: string | null = null): string {
  if (dialect === 'native') return JSON.stringify({ error: message });
  return JSON.stringify({ error: { message, type: openAiType(status), param: null, code } });
}

/** Sends a complete error response unless headers are already out (then the caller writes a terminal frame). */
export function sendError(res: ServerResponse, dialect: Dialect, error: RelayError): void {
  if (res.headersSent) return;
  const body = errorBody(dialect, error.status, error.message, error.code);
  res.writeHead(error.status, {
    ...error.headers,
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(body),
    'Cache-Control': 'no-store',
  });
  res.end(body);
}

/**
 * Turns an Ollama error body into a message: its JSON `error` field, else its text, else the status.
 * Ollama answers a rejected Origin with 403 and an empty body, so that case gets its own words.
 */
export function upstreamErrorMessage(status: number, body: string): string {
  try {
    const parsed: unknown = JSON.parse(body);
    if (parsed && typeof parsed === 'object' && 'error' in parsed) {
      const error = (parsed as { error: unknown }).error;
      if (typeof error === 'string') return error;
      if (error && typeof error === 'object' && 'message' in error && typeof error.message === 'string') return error.message;
    }
  } catch {
    // not JSON: fall through to the text
  }
  const text = body.trim().slice(0, 500);
  if (text) return text;
  return status === 403 ? 'upstream refused the request (403)' : `upstream answered ${status}`;
}

export function openAiCodeFor(status: number): string | null {
  switch (status) {
    case 401:
      return 'invalid_api_key';
    case 404:
      return 'model_not_found';
    case 413:
      return 'request_too_large';
    case 429:
      return 'rate_limit_exceeded';
    default:
      return null;
  }
}

/**
 * Ollama itself never answers 401, so a 401 means whatever guards the host (Caddy, a proxy) refused the
 * relay's own credentials: that is a 502 with words for the operator, not a wrong editor token.
 */
export function translateUpstreamStatus(status: number, message: string): RelayError {
  if (status === 401) {
    return new RelayError(502, 'the Ollama host refused the relay\'s credentials (401): check OLLAMA_API_KEY or the client certificate', 'upstream_auth');
  }
  return new RelayError(status, message);
}
