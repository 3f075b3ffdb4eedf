/**
 * One `ollama` client per request, bound to that request's AbortSignal (see ../relayClient.ts for why).
 * `createOllamaClient` always uses the global fetch; when a fetch is injected (tests, or a host with its
 * own network stack) the same construction is made with it instead.
 */
import { Ollama } from 'ollama/browser';
import { createOllamaClient, type RelayEndpoint } from '../relayClient';

export function openClient(endpoint: RelayEndpoint, signal: AbortSignal, headers: Record<string, string>, fetchImpl?: typeof fetch): Ollama {
  if (fetchImpl === undefined) return createOllamaClient(endpoint, signal, headers);
  const allHeaders: Record<string, string> = { ...headers };
  if (endpoint.token) allHeaders.Authorization = `Bearer ${endpoint.token}`;
  const abortableFetch: typeof fetch = (input, init) =>
    fetchImpl(input, { ...init, signal: init?.signal ? AbortSignal.any([init.signal, signal]) : signal });
  return new Ollama({ host: endpoint.url, headers: allHeaders, fetch: abortableFetch });
}
