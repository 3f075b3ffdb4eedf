/**
 * What the Ollama host has: installed models (`GET /api/tags`), loaded models (`GET /api/ps`) and one
 * model's facts (`POST /api/show`). Every body is validated; each call carries the caller's AbortSignal
 * through its own client (relayClient.ts explains why).
 */
import { z } from 'zod';
import { parseShowResponse, type ModelInfo } from './completion/modelInfo';
import { createOllamaClient, type RelayEndpoint } from './relayClient';

export interface InstalledModel {
  name: string;
  family?: string;
  parameterSize?: string;
  quantization?: string;
  capabilities?: string[];
  sizeBytes?: number;
}

const tagsSchema = z.object({
  models: z.array(
    z.object({
      name: z.string().optional(),
      model: z.string().optional(),
      size: z.number().optional(),
      capabilities: z.array(z.string()).nullish(),
      details: z
        .object({ family: z.string().nullish(), parameter_size: z.string().nullish(), quantization_level: z.string().nullish() })
        .nullish(),
    }),
  ),
});

const psSchema = z.object({ models: z.array(z.object({ name: z.string().optional(), model: z.string().optional() })).nullish() });

/** The installed models, fresh: the relay may cache /api/tags, but a model pulled a minute ago must show up. */
export async function listModels(endpoint: RelayEndpoint, signal: AbortSignal): Promise<InstalledModel[]> {
  const body: unknown = await createOllamaClient(endpoint, signal, { 'Cache-Control': 'no-cache' }).list();
  const parsed = tagsSchema.safeParse(body);
  if (!parsed.success) throw new Error('Unexpected /api/tags answer');
  return parsed.data.models.flatMap((entry): InstalledModel[] => {
    const name = entry.name ?? entry.model;
    if (!name) return [];
    const details = entry.details;
    return [
      {
        name,
        ...(details?.family ? { family: details.family } : {}),
        ...(details?.parameter_size ? { parameterSize: details.parameter_size } : {}),
        ...(details?.quantization_level ? { quantization: details.quantization_level } : {}),
        ...(entry.capabilities ? { capabilities: entry.capabilities } : {}),
        ...(entry.size !== undefined ? { sizeBytes: entry.size } : {}),
      },
    ];
  });
}

/** Names of the models currently loaded in memory. */
export async function loadedModels(endpoint: RelayEndpoint, signal: AbortSignal): Promise<string[]> {
  const body: unknown = await createOllamaClient(endpoint, signal).ps();
  const parsed = psSchema.safeParse(body);
  if (!parsed.success) throw new Error('Unexpected /api/ps answer');
  return (parsed.data.models ?? []).flatMap((entry) => {
    const name = entry.name ?? entry.model;
    return name ? [name] : [];
  });
}

/** Ollama treats `llama3` and `llama3:latest` as the same model. */
export function sameModel(a: string, b: string): boolean {
  return withTag(a) === withTag(b);
}

function withTag(name: string): string {
  const lastSegment = name.slice(name.lastIndexOf('/') + 1);
  return lastSegment.includes(':') ? name : `${name}:latest`;
}

/**
 * `/api/show` facts per endpoint and model, fetched once and shared by every caller. The lookup runs on
 * its own deadline, not a caller's signal, so one cancelled request cannot spoil the answer for others;
 * a failed lookup is not cached, so a model pulled later is picked up.
 */
export class ModelInfoCache {
  private readonly entries = new Map<string, Promise<ModelInfo>>();

  constructor(private readonly timeoutMs = 10_000) {}

  /** The model's facts, or undefined when they cannot be had (callers then use the configured bound). */
  async get(endpoint: RelayEndpoint, model: string, signal: AbortSignal): Promise<ModelInfo | undefined> {
    const key = `${endpoint.url}\u0000${endpoint.token ?? ''}\u0000${model}`;
    let entry = this.entries.get(key);
    if (!entry) {
      entry = createOllamaClient(endpoint, AbortSignal.timeout(this.timeoutMs))
        .show({ model })
        .then((body: unknown) => parseShowResponse(model, body));
      this.entries.set(key, entry);
      entry.catch(() => this.entries.delete(key));
    }
    try {
      return await untilAborted(entry, signal);
    } catch {
      return undefined;
    }
  }

  clear(): void {
    this.entries.clear();
  }
}

function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
