/** The requests this view is waiting on, which decide whether Stop or Send is offered. */

export function newRequestId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(12));
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');
}

export class RequestTracker {
  /** Sent by this view, no `chat/start` yet. */
  private readonly pending = new Set<string>();
  /** Started, no terminal message (`chat/done` / `chat/error`) yet. */
  private readonly active = new Set<string>();

  constructor(private readonly busyChanged: (busy: boolean) => void) {}

  get busy(): boolean {
    return this.pending.size + this.active.size > 0;
  }

  sent(requestId: string): void {
    this.pending.add(requestId);
    this.busyChanged(this.busy);
  }

  started(requestId: string): void {
    // The host answers a send with its start; a send it answered under another id is settled too.
    this.pending.clear();
    this.active.add(requestId);
    this.busyChanged(this.busy);
  }

  /** Records the terminal message; true when the request had been sent but never started. */
  ended(requestId: string): boolean {
    const neverStarted = this.pending.delete(requestId);
    this.active.delete(requestId);
    this.busyChanged(this.busy);
    return neverStarted;
  }

  /**
   * Every request to cancel. Running ones stay tracked until the host confirms with its terminal message;
   * a send the host never started has no terminal message to wait for, so it is dropped now.
   */
  cancelAll(): string[] {
    const ids = [...this.active, ...this.pending];
    this.pending.clear();
    this.busyChanged(this.busy);
    return ids;
  }
}
