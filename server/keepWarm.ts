/**
 * Keeps recently used models loaded, so the next completion after a pause is not a cold load.
 * Off by default (KEEP_WARM_MINUTES=0): refreshing `keep_alive` holds GPU memory on hosts that may
 * not be ours alone. The refresh repeats the `num_ctx` last used with the model, because a different
 * `num_ctx` would make Ollama reload the model — the opposite of what we want.
 */
import type { Logger } from './log';
import type { Upstream } from './upstream';

interface Use {
  upstream: Upstream;
  model: string;
  numCtx?: number;
  lastUsed: number;
}

export class KeepWarm {
  private readonly uses = new Map<string, Use>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly windowMinutes: number,
    private readonly intervalMs: number,
    private readonly logger: Logger,
  ) {}

  get enabled(): boolean {
    return this.windowMinutes > 0;
  }

  noteUse(upstream: Upstream, model: string, payload: Record<string, unknown> | undefined): void {
    if (!this.enabled) return;
    const options = payload?.options as Record<string, unknown> | undefined;
    const numCtx = typeof options?.num_ctx === 'number' ? options.num_ctx : undefined;
    this.uses.set(`${upstream.name}\u0000${model}`, { upstream, model, numCtx, lastUsed: Date.now() });
  }

  start(): void {
    if (!this.enabled) return;
    // Refresh well inside the keep_alive window so a model never expires between two refreshes.
    const intervalMs = Math.min(this.intervalMs, (this.windowMinutes * 60_000) / 2);
    this.timer = setInterval(() => void this.refresh(), intervalMs);
    this.timer.unref();
  }

  async refresh(): Promise<void> {
    const cutoff = Date.now() - this.windowMinutes * 60_000;
    for (const [key, use] of this.uses) {
      if (use.lastUsed < cutoff) {
        this.uses.delete(key);
        continue;
      }
      const body = Buffer.from(
        JSON.stringify({ model: use.model, prompt: '', keep_alive: `${this.windowMinutes}m`, ...(use.numCtx ? { options: { num_ctx: use.numCtx } } : {}) }),
      );
      try {
        const { response } = await use.upstream.send({ method: 'POST', path: '/api/generate', body, signal: AbortSignal.timeout(300_000) });
        response.resume();
      } catch (error) {
        this.logger.debug({ upstream: use.upstream.name, model: use.model, err: error instanceof Error ? error.message : String(error) }, 'keep-warm refresh failed');
      }
    }
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }
}
