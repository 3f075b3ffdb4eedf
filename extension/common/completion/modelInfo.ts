/**
 * What the engine needs to know about a model, read from `POST /api/show` (and `GET /api/tags` for the
 * automatic pick). Both bodies come from the network, so they are validated here; unknown fields are ignored.
 */
import { z } from 'zod';
import { detectFimFamily } from './fimTemplates';

export interface ModelInfo {
  model: string;
  /** Ollama capabilities, e.g. `completion`, `insert`, `tools`, `thinking`. */
  capabilities: readonly string[];
  /** `general.architecture`, else `details.family` (e.g. `qwen2`, `llama`). */
  architecture?: string;
  /** Training context length (`<arch>.context_length`), when reported. */
  contextLength?: number;
}

const showSchema = z.object({
  capabilities: z.array(z.string()).nullish(),
  details: z.object({ family: z.string().nullish() }).passthrough().nullish(),
  model_info: z.record(z.string(), z.unknown()).nullish(),
});

/** Validates a `/api/show` body. Throws a plain Error naming the model when the body is not an object. */
export function parseShowResponse(model: string, body: unknown): ModelInfo {
  const parsed = showSchema.safeParse(body);
  if (!parsed.success) throw new Error(`Unexpected /api/show answer for '${model}'`);
  const { capabilities, details, model_info: modelInfo } = parsed.data;
  const declaredArchitecture = modelInfo?.['general.architecture'];
  const architecture = typeof declaredArchitecture === 'string' ? declaredArchitecture : (details?.family ?? undefined);
  return {
    model,
    capabilities: capabilities ?? [],
    ...(architecture ? { architecture } : {}),
    ...optionalContextLength(readContextLength(modelInfo ?? {}, architecture)),
  };
}

function readContextLength(modelInfo: Record<string, unknown>, architecture: string | undefined): number | undefined {
  const exact = architecture ? modelInfo[`${architecture}.context_length`] : undefined;
  if (isPositiveInteger(exact)) return exact;
  // Some GGUFs name the architecture differently from `details.family`; any `*.context_length` is the same fact.
  for (const [key, value] of Object.entries(modelInfo)) {
    if (key.endsWith('.context_length') && isPositiveInteger(value)) return value;
  }
  return undefined;
}

function optionalContextLength(contextLength: number | undefined): { contextLength?: number } {
  return contextLength === undefined ? {} : { contextLength };
}

function isPositiveInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value > 0;
}

export function supportsInsert(info: ModelInfo): boolean {
  return info.capabilities.includes('insert');
}

/**
 * The `num_ctx` to send: the configured upper bound, lowered to the model's own context when that is smaller.
 * Chat and completions must send the same value for the same model, or Ollama reloads the model between them
 * (ollama-api.md §5).
 */
export function effectiveContextLength(info: Pick<ModelInfo, 'contextLength'> | undefined, configured: number): number {
  const bound = Number.isFinite(configured) && configured >= 1 ? Math.floor(configured) : undefined;
  const modelContext = info?.contextLength;
  if (bound === undefined) return modelContext ?? DEFAULT_CONTEXT_LENGTH;
  return modelContext === undefined ? bound : Math.min(bound, modelContext);
}

/** Used only when the configured bound is unusable and the model reports none (the `aide.contextLength` default). */
export const DEFAULT_CONTEXT_LENGTH = 8192;

const tagsSchema = z.object({
  models: z.array(
    z
      .object({
        name: z.string().optional(),
        model: z.string().optional(),
        capabilities: z.array(z.string()).nullish(),
      })
      .passthrough(),
  ),
});

/**
 * The first model of a `/api/tags` body that can fill in the middle: it lists the `insert` capability
 * (newer Ollama reports capabilities here) or belongs to a known FIM family. Undefined when none does.
 */
export function pickFimModel(body: unknown): string | undefined {
  const parsed = tagsSchema.safeParse(body);
  if (!parsed.success) throw new Error('Unexpected /api/tags answer');
  for (const entry of parsed.data.models) {
    const name = entry.model ?? entry.name;
    if (!name) continue;
    if (entry.capabilities?.includes('insert')) return name;
    // By name only: an architecture such as `qwen2` also covers chat models never trained for FIM.
    if (detectFimFamily(name)) return name;
  }
  return undefined;
}
