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
 * The model of a `/api/tags` body best able to fill in the middle. Ollama's own word comes first: the first
 * model that lists the `insert` capability. Only when a model reports no capabilities at all (older Ollama)
 * is its name consulted, and then a known FIM family that is not a chat/instruct/python variant (those are
 * tuned away from raw infilling). A model whose capabilities are listed without `insert` is never picked.
 * Undefined when none qualifies.
 */
export function pickFimModel(body: unknown): string | undefined {
  const parsed = tagsSchema.safeParse(body);
  if (!parsed.success) throw new Error('Unexpected /api/tags answer');
  const named = parsed.data.models.flatMap((entry) => {
    const name = entry.model ?? entry.name;
    return name ? [{ name, capabilities: entry.capabilities ?? undefined }] : [];
  });
  const withInsert = named.find((entry) => entry.capabilities?.includes('insert'));
  if (withInsert) return withInsert.name;
  // By name only: an architecture such as `qwen2` also covers chat models never trained for FIM.
  return named.find((entry) => entry.capabilities === undefined && detectFimFamily(entry.name) && !isTunedAwayFromFim(entry.name))?.name;
}

/** `codellama:7b-instruct`, `codellama:13b-python`, `codegemma:7b-it`, `…-chat`: variants that do not infill well. */
function isTunedAwayFromFim(name: string): boolean {
  const tag = name.includes(':') ? name.slice(name.lastIndexOf(':') + 1) : name;
  return /(^|[-_.])(instruct|python|chat|it)([-_.]|$)/i.test(tag);
}
