/**
 * What AIDE: Stop Generation can reach: generations started by commands (Fix, Add Docs, Refactor, commit
 * message) outside the chat, which it aborts here, and chat answers, which the chat controller stops.
 * While any of them runs the `aide.generating` context key is true, so the Stop button shows only then.
 */
import type { IDisposable } from '../common/lifecycle';

export class Generations {
  private readonly running = new Set<AbortController>();
  private busy = 0;

  /** `onBusyChange` hears only transitions: the first generation starting, the last one ending. */
  constructor(private readonly onBusyChange: (busy: boolean) => void = () => undefined) {}

  /** Tracks `controller` until the returned handle is disposed. */
  track(controller: AbortController): IDisposable {
    this.running.add(controller);
    const end = this.begin();
    return {
      dispose: () => {
        this.running.delete(controller);
        end();
      },
    };
  }

  /** Counts a generation stopped by other means (a chat answer) as running until the returned function is called. */
  begin(): () => void {
    let ended = false;
    this.busy += 1;
    if (this.busy === 1) this.onBusyChange(true);
    return () => {
      if (ended) return;
      ended = true;
      this.busy -= 1;
      if (this.busy === 0) this.onBusyChange(false);
    };
  }

  get isBusy(): boolean {
    return this.busy > 0;
  }

  /** Aborts every tracked generation; returns how many there were. */
  stopAll(): number {
    const count = this.running.size;
    for (const controller of this.running) controller.abort();
    this.running.clear();
    return count;
  }
}
