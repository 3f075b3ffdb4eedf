/**
 * Coalesces streamed updates into at most one render per animation frame. A long answer costs more to
 * re-render than a short one, so after each render the next one also waits twice the time the last one
 * took: the view keeps at least two thirds of the main thread for input, however large the answer grows.
 */
const MAX_BACKOFF_MS = 500;

export class FrameScheduler<T> {
  private readonly dirty = new Set<T>();
  private frame: number | undefined;
  private notBefore = 0;

  constructor(private readonly render: (item: T) => void) {}

  schedule(item: T): void {
    this.dirty.add(item);
    this.frame ??= requestAnimationFrame(this.tick);
  }

  /** Drops a pending render of `item` (it was rendered another way, or removed). */
  forget(item: T): void {
    this.dirty.delete(item);
    if (this.dirty.size === 0 && this.frame !== undefined) {
      cancelAnimationFrame(this.frame);
      this.frame = undefined;
    }
  }

  private readonly tick = (now: number): void => {
    this.frame = undefined;
    if (this.dirty.size === 0) return;
    if (now < this.notBefore) {
      this.frame = requestAnimationFrame(this.tick);
      return;
    }
    const started = performance.now();
    const items = [...this.dirty];
    this.dirty.clear();
    for (const item of items) this.render(item);
    const finished = performance.now();
    this.notBefore = finished + Math.min(2 * (finished - started), MAX_BACKOFF_MS);
  };
}
