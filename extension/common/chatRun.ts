/**
 * One streamed `/api/chat` request, start to finish: deltas as they arrive, a one-time "model is
 * loading" probe when the first token is slow, and the answer's figures from Ollama's final record plus
 * the time to first token measured here. Pure: it takes an AbortSignal and reports through callbacks.
 */
import type { AnswerStats } from './protocol';
import { loadedModels, sameModel } from './modelCatalog';
import { createOllamaClient, type RelayEndpoint } from './relayClient';

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface ChatRunRequest {
  endpoint: RelayEndpoint;
  model: string;
  messages: readonly ChatMessage[];
  /** Sent as `options.num_ctx`; the same value completions use, so Ollama does not reload the model. */
  numCtx: number;
  signal: AbortSignal;
  onDelta(text: string): void;
  /** Called at most once, when the model is not resident and the first token is late. */
  onLoading?(): void;
  /** How long to wait for the first token before asking `/api/ps` whether the model is loading. */
  loadingProbeAfterMs?: number;
  now?: () => number;
}

export interface ChatRunResult {
  text: string;
  stats: AnswerStats;
  /** True when the signal ended the request (a user Stop); `text` is what arrived until then. */
  stopped: boolean;
  /** Ollama's `done_reason`, e.g. `stop` or `length`. */
  doneReason?: string;
}

export const LOADING_PROBE_AFTER_MS = 1500;
/** A `load_duration` below this is bookkeeping of a warm model, not a cold load worth showing. */
const COLD_LOAD_THRESHOLD_MS = 250;

export async function runChat(request: ChatRunRequest): Promise<ChatRunResult> {
  const now = request.now ?? Date.now;
  const startedAt = now();
  let text = '';
  let firstTokenAt: number | undefined;
  let final: Record<string, unknown> | undefined;

  const probe = setTimeout(() => void probeLoading(), request.loadingProbeAfterMs ?? LOADING_PROBE_AFTER_MS);
  async function probeLoading(): Promise<void> {
    try {
      const loaded = await loadedModels(request.endpoint, request.signal);
      if (firstTokenAt === undefined && !request.signal.aborted && !loaded.some((name) => sameModel(name, request.model))) {
        request.onLoading?.();
      }
    } catch {
      // The probe only refines the waiting message; the chat request itself reports real failures.
    }
  }

  try {
    const stream = await createOllamaClient(request.endpoint, request.signal).chat({
      model: request.model,
      messages: request.messages.map(({ role, content }) => ({ role, content })),
      stream: true,
      options: { num_ctx: request.numCtx },
    });
    for await (const chunk of stream) {
      const record: Record<string, unknown> = { ...chunk };
      const delta = contentOf(record);
      if (firstTokenAt === undefined && (delta || thinkingOf(record))) {
        firstTokenAt = now();
        clearTimeout(probe);
      }
      if (delta) {
        text += delta;
        request.onDelta(delta);
      }
      if (record.done === true) final = record;
    }
  } catch (error) {
    if (!request.signal.aborted) throw error;
    return { text, stopped: true, stats: hostStats(startedAt, firstTokenAt, now()) };
  } finally {
    clearTimeout(probe);
  }
  const doneReason = typeof final?.done_reason === 'string' ? final.done_reason : undefined;
  return {
    text,
    stopped: false,
    stats: { ...hostStats(startedAt, firstTokenAt, now()), ...(final ? ollamaStats(final) : {}) },
    ...(doneReason ? { doneReason } : {}),
  };
}

function contentOf(record: Record<string, unknown>): string {
  const message = record.message;
  if (typeof message !== 'object' || message === null || !('content' in message)) return '';
  return typeof message.content === 'string' ? message.content : '';
}

function thinkingOf(record: Record<string, unknown>): boolean {
  const message = record.message;
  return typeof message === 'object' && message !== null && 'thinking' in message && typeof message.thinking === 'string' && message.thinking !== '';
}

function hostStats(startedAt: number, firstTokenAt: number | undefined, endedAt: number): AnswerStats {
  return { totalMs: endedAt - startedAt, ...(firstTokenAt !== undefined ? { ttftMs: firstTokenAt - startedAt } : {}) };
}

/** Token counts, generation speed and cold-load time from the final record (durations are nanoseconds). */
export function ollamaStats(final: Record<string, unknown>): AnswerStats {
  const stats: AnswerStats = {};
  const promptTokens = count(final.prompt_eval_count);
  const completionTokens = count(final.eval_count);
  const evalNs = count(final.eval_duration);
  const loadNs = count(final.load_duration);
  if (promptTokens !== undefined) stats.promptTokens = promptTokens;
  if (completionTokens !== undefined) stats.completionTokens = completionTokens;
  if (completionTokens !== undefined && evalNs) stats.tokensPerSecond = Math.round((completionTokens / evalNs) * 1e9 * 10) / 10;
  if (loadNs !== undefined && loadNs / 1e6 >= COLD_LOAD_THRESHOLD_MS) stats.loadMs = Math.round(loadNs / 1e6);
  return stats;
}

function count(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : undefined;
}
