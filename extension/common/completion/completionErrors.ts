/**
 * One sentence per failure, for the status bar and the log. Network and HTTP failures use the wording
 * shared with chat (../errors.ts); failures particular to completions carry their own message.
 */
import { describeError, withoutCredentials } from '../errors';
import { FimUnsupportedError } from './completionPlan';

/** No model on the host can fill in the middle and none is configured. */
export class NoFimModelError extends Error {
  override readonly name = 'NoFimModelError';
  constructor(url: string) {
    super(`No completion model on ${url}: none supports fill-in-the-middle; pull a code model (e.g. qwen2.5-coder:1.5b-base) or set aide.completion.model`);
  }
}

/** Ollama's 400 for `suffix` on a model whose template has no `.Suffix` (ollama-api.md §7). */
export function isInsertRejected(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const status = 'status_code' in error ? error.status_code : undefined;
  return status === 400 && error instanceof Error && /does not support insert/i.test(error.message);
}

/** The message to report, or undefined when the failure is a cancellation and nothing should be shown. */
export function completionErrorMessage(error: unknown, url: string, model: string | undefined, signal?: AbortSignal): string | undefined {
  if (error instanceof FimUnsupportedError || error instanceof NoFimModelError) return error.message;
  if (error instanceof Error && error.name === 'TimeoutError') return `Relay at ${url} did not answer in time`;
  const described = describeError(error, { url, ...(model ? { model } : {}) }, signal);
  return described.kind === 'aborted' ? undefined : described.message;
}

/** The relay URL as shown to the user: without userinfo, which may hold credentials. */
export function displayUrl(url: string): string {
  return withoutCredentials(url);
}
