/** One `ollama` client per request, bound to that request's AbortSignal (see ../relayClient.ts for why). */
import type { Ollama } from 'ollama/browser';
import { createOllamaClient, type RelayEndpoint } from '../relayClient';

export function openClient(endpoint: RelayEndpoint, signal: AbortSignal, headers: Record<string, string>, fetchImpl?: typeof fetch): Ollama {
  return createOllamaClient(endpoint, signal, headers, fetchImpl);
}
