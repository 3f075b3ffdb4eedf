/**
 * Builds an `ollama` npm client for one request against the relay (or a plain local Ollama).
 *
 * Why one client per request with our own fetch: the client's `abort()` cancels every stream on that
 * instance, it cannot abort a request whose headers have not arrived yet, and non-streaming calls get no
 * signal at all. A fetch that carries the caller's AbortSignal closes the socket in every one of those
 * states, so the relay (and Ollama behind it) stop generating at once.
 */
import { Ollama } from 'ollama/browser';
import { InsecureTokenTransportError, insecureTokenHost } from './tokenTransport';

export interface RelayEndpoint {
  /** Base URL of the relay or of Ollama itself, e.g. `http://127.0.0.1:11435`. */
  url: string;
  /** Relay token; undefined when talking to an Ollama that needs none. */
  token?: string;
}

export function createOllamaClient(
  endpoint: RelayEndpoint,
  signal: AbortSignal,
  headers: Record<string, string> = {},
  fetchImpl: typeof fetch = fetch,
): Ollama {
  const allHeaders: Record<string, string> = { ...headers };
  if (endpoint.token) allHeaders.Authorization = `Bearer ${endpoint.token}`;
  // Checked per request (not once per URL change) so no path can put the token on the wire in clear text.
  const exposedTo = endpoint.token ? insecureTokenHost(endpoint.url) : undefined;
  const abortableFetch: typeof fetch = (input, init) => {
    if (exposedTo !== undefined) return Promise.reject(new InsecureTokenTransportError(exposedTo));
    return fetchImpl(input, { ...init, signal: init?.signal ? AbortSignal.any([init.signal, signal]) : signal });
  };
  return new Ollama({ host: endpoint.url, headers: allHeaders, fetch: abortableFetch });
}
