/**
 * Model facts the relay needs for its context policy, from `/api/show`, cached per upstream and model.
 * OpenAI-compatible callers cannot set `num_ctx`, so the relay sets it to the model's trained context
 * bounded by RELAY_MAX_CTX; without that, Ollama would silently truncate long prompts at its default.
 */
import { LRUCache } from 'lru-cache';
import { ollamaFor } from './context';
import type { Upstream } from './upstream';

export interface ModelInfo {
  contextLength?: number;
  capabilities: string[];
}

export class ModelInfoCache {
  private readonly cache = new LRUCache<string, ModelInfo>({ max: 500, ttl: 5 * 60_000 });

  async get(upstream: Upstream, model: string, signal: AbortSignal): Promise<ModelInfo | undefined> {
    const key = `${upstream.name}\u0000${model}`;
    const cached = this.cache.get(key);
    if (cached) return cached;
    try {
      const show = await ollamaFor(upstream, signal).show({ model });
      const info = show.model_info as unknown as Record<string, unknown> | undefined;
      const arch = typeof info?.['general.architecture'] === 'string' ? info['general.architecture'] : undefined;
      const length = arch ? info?.[`${arch}.context_length`] : undefined;
      const result: ModelInfo = { contextLength: typeof length === 'number' ? length : undefined, capabilities: show.capabilities ?? [] };
      this.cache.set(key, result);
      return result;
    } catch {
      // The real request reports a missing model or a down upstream in its own words.
      return undefined;
    }
  }

  /** `num_ctx` for a translated request: the model's context, bounded by the relay's maximum. */
  async numCtx(upstream: Upstream, model: string, maxContext: number, signal: AbortSignal): Promise<number | undefined> {
    const info = await this.get(upstream, model, signal);
    return info?.contextLength ? Math.min(info.contextLength, maxContext) : undefined;
  }
}
