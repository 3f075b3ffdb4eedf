/**
 * The one bridge from a VS Code `CancellationToken` to a Web `AbortSignal`. Pure code takes only
 * `AbortSignal`; adapters call this at the boundary and dispose it in `finally`, so a listener never
 * outlives the request it was made for.
 */

/** Structural subset of `vscode.CancellationToken`. */
export interface CancellationTokenLike {
  readonly isCancellationRequested: boolean;
  onCancellationRequested(listener: () => unknown): { dispose(): void };
}

export interface BridgedSignal {
  readonly signal: AbortSignal;
  /** Stops listening to the token. Does not abort the signal. */
  dispose(): void;
}

export function abortSignalFromToken(token: CancellationTokenLike): BridgedSignal {
  const controller = new AbortController();
  if (token.isCancellationRequested) {
    controller.abort();
    return { signal: controller.signal, dispose: () => undefined };
  }
  const subscription = token.onCancellationRequested(() => controller.abort());
  return { signal: controller.signal, dispose: () => subscription.dispose() };
}

/** True when an error is the result of an abort (DOM `AbortError`, Node's `ABORT_ERR`, or an aborted signal). */
export function isAbortError(error: unknown, signal?: AbortSignal): boolean {
  if (signal?.aborted) return true;
  if (!(error instanceof Error)) return false;
  return error.name === 'AbortError' || ('code' in error && error.code === 'ABORT_ERR');
}
