/**
 * Everything decided before a completion request is sent: the model's FIM path, the prompt windows,
 * the shaping rules and the cache key. Pure, so each decision is unit-tested without a network.
 */
import type { GenerateRequest } from 'ollama/browser';
import { ALL_FIM_TOKENS, detectFimFamily, FIM_TEMPLATES, type FimFamily } from './fimTemplates';
import { effectiveContextLength, supportsInsert, type ModelInfo } from './modelInfo';
import { fitBudget, windowPrefix, windowSuffix } from './promptWindow';
import { shapeRulesFor, type ShapeRules } from './completionShape';

export type TemplateSetting = 'auto' | FimFamily;

/** The settings a plan depends on (a subset of `CompletionSettings`). */
export interface PlanSettings {
  maxTokens: number;
  maxLines: number;
  prefixTokens: number;
  suffixTokens: number;
  template: TemplateSetting;
  contextLength: number;
}

export interface PlanInput {
  prefix: string;
  suffix: string;
  languageId: string;
  model: string;
  info: ModelInfo;
  settings: PlanSettings;
  /** Ollama answered "does not support insert" for this model before, whatever `/api/show` says. */
  insertRejected: boolean;
}

export interface CompletionPlan {
  model: string;
  /** `suffix` on /api/generate (Ollama's own FIM template) rather than a raw prompt. */
  useInsert: boolean;
  /** The raw-prompt family; undefined when the model has none we know (then only `useInsert` works). */
  family: FimFamily | undefined;
  prefix: string;
  suffix: string;
  numCtx: number;
  maxTokens: number;
  /** Tokens cut from the output if they leak into it. */
  stopTokens: readonly string[];
  rules: ShapeRules;
  cacheKey: string;
  /** Send `think: false`: a thinking model would otherwise spend the token budget thinking. */
  disableThinking: boolean;
}

/** Thrown when a model can neither take `suffix` nor be prompted with a known raw template. */
export class FimUnsupportedError extends Error {
  override readonly name = 'FimUnsupportedError';
  constructor(readonly model: string) {
    super(
      `Model '${model}' cannot fill in the middle (no insert capability, no known FIM template): ` +
        'choose a code model or set aide.completion.template',
    );
  }
}

export const SAMPLING = { temperature: 0.2, top_p: 0.9 } as const;

export function planCompletion(input: PlanInput): CompletionPlan {
  const { settings, info, model } = input;
  const forced = settings.template !== 'auto';
  const family = settings.template === 'auto' ? detectFimFamily(model, info.architecture) : settings.template;
  // A forced family means "prompt this model with that template": the model's own FIM template (insert) is
  // bypassed, so the prompt and the stop list always belong to the same family.
  const useInsert = !forced && supportsInsert(info) && !input.insertRejected;
  if (!useInsert && family === undefined) throw new FimUnsupportedError(model);
  const numCtx = effectiveContextLength(info, settings.contextLength);
  const maxTokens = Number.isFinite(settings.maxTokens) ? Math.max(1, Math.floor(settings.maxTokens)) : 1;
  const budget = fitBudget(numCtx, maxTokens, settings);
  const prefix = windowPrefix(input.prefix, budget.prefixTokens);
  const suffix = windowSuffix(input.suffix, budget.suffixTokens);
  const rules = shapeRulesFor(input.prefix, input.suffix, input.languageId, settings.maxLines);
  const plan = {
    model,
    useInsert,
    family,
    prefix,
    suffix,
    numCtx,
    maxTokens,
    stopTokens: family ? FIM_TEMPLATES[family].stop : ALL_FIM_TOKENS,
    rules,
    disableThinking: info.capabilities.includes('thinking'),
  };
  return { ...plan, cacheKey: cacheKeyOf(plan) };
}

/** The plan for the same cursor after Ollama refused `suffix` for this model. */
export function withoutInsert(plan: CompletionPlan): CompletionPlan {
  if (plan.family === undefined) throw new FimUnsupportedError(plan.model);
  const raw = { ...plan, useInsert: false };
  return { ...raw, cacheKey: cacheKeyOf(raw) };
}

/** Everything that changes the answer: the model, how it is prompted, the windows and the shaping rules. */
function cacheKeyOf(plan: Omit<CompletionPlan, 'cacheKey'>): string {
  const { model, useInsert, family, numCtx, maxTokens, rules, prefix, suffix } = plan;
  return JSON.stringify([model, useInsert, family ?? '', numCtx, maxTokens, rules, prefix, suffix]);
}

export type StreamingGenerateRequest = GenerateRequest & { stream: true };

/** The `/api/generate` body. `keep_alive` is left out so the host's own setting applies. */
export function generateRequest(plan: CompletionPlan): StreamingGenerateRequest {
  const template = plan.family ? FIM_TEMPLATES[plan.family] : undefined;
  const options = {
    num_predict: plan.maxTokens,
    temperature: SAMPLING.temperature,
    top_p: SAMPLING.top_p,
    num_ctx: plan.numCtx,
    // Without a known family the Modelfile's own stop list is kept (a request list replaces it).
    ...(template ? { stop: [...template.stop] } : {}),
  };
  const thinking = plan.disableThinking ? { think: false } : {};
  if (plan.useInsert) {
    // An empty suffix makes Ollama render the chat template instead of its FIM branch (ollama-api.md §7),
    // so at the end of a file the suffix is one newline.
    return { model: plan.model, prompt: plan.prefix, suffix: plan.suffix || '\n', raw: false, stream: true, options, ...thinking };
  }
  if (!template) throw new FimUnsupportedError(plan.model);
  return { model: plan.model, prompt: template.build(plan.prefix, plan.suffix), raw: true, stream: true, options, ...thinking };
}
