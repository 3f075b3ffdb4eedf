/**
 * Turns whatever a request to the relay (or Ollama) threw into one sentence a user can act on, plus
 * whether trying again may help. The `ollama` client throws three shapes: `ResponseError` with
 * `status_code` for an HTTP error before streaming, a plain `Error` carrying Ollama's message for an
 * `{"error"}` line mid-stream, and fetch's `TypeError("fetch failed")` with a network `cause`.
 */
import { isAbortError } from './cancellation';
import { InsecureTokenTransportError } from './tokenTransport';

export type ErrorKind = 'aborted' | 'auth' | 'model-missing' | 'unreachable' | 'upstream-down' | 'rate-limited' | 'timeout' | 'rejected' | 'failed';

export interface DescribedError {
  kind: ErrorKind;
  message: string;
  retryable: boolean;
  /** HTTP status when the error came from a response. */
  status?: number;
}

export interface ErrorContext {
  /** Relay (or Ollama) base URL the request went to. */
  url: string;
  /** Model the request named, for "not installed" messages. */
  model?: string;
}

export const TOKEN_HINT = 'Wrong or missing relay token — run AIDE: Set Relay Token';

/**
 * Every message is cleaned of URL userinfo: fetch and Ollama repeat the URL they were given, and a
 * `user:password@` in it must reach neither the user nor the log.
 */
export function describeError(error: unknown, rawContext: ErrorContext, signal?: AbortSignal): DescribedError {
  const described = describeUnsafe(error, rawContext, signal);
  return { ...described, message: withoutUserinfo(described.message) };
}

function describeUnsafe(error: unknown, rawContext: ErrorContext, signal?: AbortSignal): DescribedError {
  const context = { ...rawContext, url: withoutCredentials(rawContext.url) };
  if (isAbortError(error, signal)) return { kind: 'aborted', message: 'Stopped', retryable: true };
  if (error instanceof InsecureTokenTransportError) return { kind: 'rejected', message: error.message, retryable: false };
  const status = statusOf(error);
  const detail = messageOf(error);
  if (status !== undefined) return describeStatus(status, detail, context);
  const network = networkCodeOf(error);
  if (network) {
    return { kind: 'unreachable', message: `Relay unreachable at ${context.url} (${network})`, retryable: true };
  }
  if (/did not receive done/i.test(detail)) {
    return { kind: 'failed', message: 'The answer stopped before it was complete (connection closed)', retryable: true };
  }
  if (/not found/i.test(detail) && context.model && detail.includes(context.model)) {
    return modelMissing(context.model);
  }
  return { kind: 'failed', message: `Ollama reported an error: ${detail}`, retryable: true };
}

/** Maps an HTTP status from the relay or Ollama to words. `detail` is the response's own message. */
export function describeStatus(status: number, detail: string, rawContext: ErrorContext): DescribedError {
  const described = describeStatusUnsafe(status, detail, rawContext);
  return { ...described, message: withoutUserinfo(described.message) };
}

function describeStatusUnsafe(status: number, detail: string, rawContext: ErrorContext): DescribedError {
  const context = { ...rawContext, url: withoutCredentials(rawContext.url) };
  const suffix = detail && !/^Error \d+/.test(detail) ? `: ${detail}` : '';
  switch (status) {
    case 401:
      return { kind: 'auth', message: TOKEN_HINT, retryable: false, status };
    case 403:
      return { kind: 'rejected', message: `The relay refused this request (403${suffix})`, retryable: false, status };
    case 404:
      return context.model
        ? { ...modelMissing(context.model), status }
        : { kind: 'rejected', message: `Not found at ${context.url} (404${suffix})`, retryable: false, status };
    case 413:
      return { kind: 'rejected', message: 'The request is too large for the relay (413) — send less context', retryable: false, status };
    case 429:
      return { kind: 'rate-limited', message: 'The relay is rate-limiting requests (429) — try again shortly', retryable: true, status };
    case 499:
      return { kind: 'aborted', message: 'Cancelled by a newer request', retryable: true, status };
    case 502:
      return { kind: 'upstream-down', message: `Relay is up but could not reach Ollama (502${suffix})`, retryable: true, status };
    case 503:
      return { kind: 'upstream-down', message: `Relay is up but Ollama is down (503${suffix})`, retryable: true, status };
    case 504:
      return { kind: 'timeout', message: `Ollama did not answer in time (504${suffix})`, retryable: true, status };
    default:
      if (status >= 500) return { kind: 'failed', message: `Ollama failed (${status}${suffix})`, retryable: true, status };
      return { kind: 'rejected', message: `The request was rejected (${status}${suffix})`, retryable: false, status };
  }
}

/** A URL as shown to the user: userinfo may hold credentials, so it never appears in a message. */
export function withoutCredentials(url: string): string {
  try {
    const parsed = new URL(url);
    if (!parsed.username && !parsed.password) return url;
    parsed.username = '';
    parsed.password = '';
    return parsed.toString().replace(/\/$/, '');
  } catch {
    return url;
  }
}

/** Any text (an error message from fetch, Ollama or the relay) with the userinfo of every URL in it removed. */
export function withoutUserinfo(text: string): string {
  return text.replace(/\/\/[^/\s@]*@/g, '//');
}

function modelMissing(model: string): DescribedError {
  return { kind: 'model-missing', message: `Model '${model}' is not installed on the Ollama host`, retryable: false };
}

function statusOf(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null || !('status_code' in error)) return undefined;
  return typeof error.status_code === 'number' ? error.status_code : undefined;
}

function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  return typeof error === 'string' ? error : 'unknown error';
}

/** `ECONNREFUSED`, `ENOTFOUND`, a TLS code…, from fetch's `cause` (possibly an AggregateError of attempts). */
function networkCodeOf(error: unknown): string | undefined {
  if (!(error instanceof Error)) return undefined;
  const cause: unknown = error.cause;
  const code = codeOf(cause) ?? (cause instanceof AggregateError ? cause.errors.map(codeOf).find(Boolean) : undefined);
  if (code) return code;
  return error instanceof TypeError && /fetch failed|network/i.test(error.message) ? 'connection failed' : undefined;
}

function codeOf(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || !('code' in value)) return undefined;
  return typeof value.code === 'string' ? value.code : undefined;
}
