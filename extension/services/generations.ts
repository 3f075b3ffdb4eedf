/**
 * Generations started by commands (Fix, Add Docs, Refactor, commit message) outside the chat, so that
 * AIDE: Stop Generation can cancel them too.
 */
import type { IDisposable } from '../common/lifecycle';

export class Generations {
  private readonly running = new Set<AbortController>();

  /** Tracks `controller` until the returned handle is disposed. */
  track(controller: AbortController): IDisposable {
    this.running.add(controller);
    return { dispose: () => this.running.delete(controller) };
  }

  /** Aborts every tracked generation; returns how many there were. */
  stopAll(): number {
    const count = this.running.size;
    for (const controller of this.running) controller.abort();
    this.running.clear();
    return count;
  }
}
