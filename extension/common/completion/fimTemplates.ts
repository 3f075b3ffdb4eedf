/**
 * Fill-in-the-middle prompt formats for models whose Ollama template cannot take a `suffix` (sent with
 * `raw: true`), and the stop tokens of each family. Token strings follow the models' tokenizers as used
 * by continuedev/continue `AutocompleteTemplate.ts`; see ollama-api.md §7.
 */

export const FIM_FAMILIES = ['qwen', 'deepseek', 'codellama', 'starcoder', 'codegemma', 'codestral'] as const;
export type FimFamily = (typeof FIM_FAMILIES)[number];

export interface FimTemplate {
  readonly family: FimFamily;
  /** The raw prompt for a cursor between `prefix` and `suffix`. */
  build(prefix: string, suffix: string): string;
  /** A complete list: a request's `options.stop` replaces the Modelfile's list. */
  readonly stop: readonly string[];
}

const QWEN_STOP = [
  '<|endoftext|>',
  '<|fim_prefix|>',
  '<|fim_middle|>',
  '<|fim_suffix|>',
  '<|fim_pad|>',
  '<|repo_name|>',
  '<|file_sep|>',
  '<|im_start|>',
  '<|im_end|>',
] as const;

// deepseek-coder uses FULLWIDTH VERTICAL LINE (U+FF5C) and LOWER ONE EIGHTH BLOCK (U+2581), not ASCII.
const DEEPSEEK_BEGIN = '<\uFF5Cfim\u2581begin\uFF5C>';
const DEEPSEEK_HOLE = '<\uFF5Cfim\u2581hole\uFF5C>';
const DEEPSEEK_END = '<\uFF5Cfim\u2581end\uFF5C>';
const DEEPSEEK_EOS = '<\uFF5Cend\u2581of\u2581sentence\uFF5C>';

export const FIM_TEMPLATES: Readonly<Record<FimFamily, FimTemplate>> = {
  qwen: {
    family: 'qwen',
    build: (prefix, suffix) => `<|fim_prefix|>${prefix}<|fim_suffix|>${suffix}<|fim_middle|>`,
    stop: QWEN_STOP,
  },
  deepseek: {
    family: 'deepseek',
    build: (prefix, suffix) => `${DEEPSEEK_BEGIN}${prefix}${DEEPSEEK_HOLE}${suffix}${DEEPSEEK_END}`,
    stop: [DEEPSEEK_BEGIN, DEEPSEEK_HOLE, DEEPSEEK_END, DEEPSEEK_EOS],
  },
  codellama: {
    family: 'codellama',
    // The spaces around the prefix are part of the format the model was trained on.
    build: (prefix, suffix) => `<PRE> ${prefix} <SUF>${suffix} <MID>`,
    stop: ['<PRE>', '<SUF>', '<MID>', '<EOT>'],
  },
  starcoder: {
    family: 'starcoder',
    build: (prefix, suffix) => `<fim_prefix>${prefix}<fim_suffix>${suffix}<fim_middle>`,
    stop: ['<fim_prefix>', '<fim_suffix>', '<fim_middle>', '<file_sep>', '<|endoftext|>'],
  },
  codegemma: {
    family: 'codegemma',
    build: (prefix, suffix) => `<|fim_prefix|>${prefix}<|fim_suffix|>${suffix}<|fim_middle|>`,
    stop: ['<|fim_prefix|>', '<|fim_suffix|>', '<|fim_middle|>', '<|file_separator|>', '<end_of_turn>', '<eos>'],
  },
  codestral: {
    family: 'codestral',
    // Suffix first: codestral was trained on [SUFFIX]…[PREFIX]… order.
    build: (prefix, suffix) => `[SUFFIX]${suffix}[PREFIX]${prefix}`,
    stop: ['[PREFIX]', '[SUFFIX]'],
  },
};

/** Every special token of every family: any of them in the output is a leak to cut, whatever the model. */
export const ALL_FIM_TOKENS: readonly string[] = [...new Set(FIM_FAMILIES.flatMap((family) => FIM_TEMPLATES[family].stop))];

const NAME_PATTERNS: ReadonlyArray<readonly [RegExp, FimFamily]> = [
  [/qwen[\d.]*-?coder/, 'qwen'],
  [/deepseek-coder/, 'deepseek'],
  [/code-?llama/, 'codellama'],
  [/starcoder|stable-code/, 'starcoder'],
  [/codegemma/, 'codegemma'],
  [/codestral/, 'codestral'],
];

// GGUF architectures whose tokenizer carries the family's FIM tokens, for renamed models
// (`ollama create my-complete -f …`). `llama` and `gemma` are absent on purpose: most of those models
// were never trained for FIM.
const ARCHITECTURE_FAMILIES: Readonly<Record<string, FimFamily>> = {
  qwen2: 'qwen',
  starcoder2: 'starcoder',
  starcoder: 'starcoder',
  deepseek2: 'deepseek',
};

/**
 * The FIM family of a model from its name (`qwen2.5-coder:1.5b-base`, `registry/ns/codestral:22b`), else from
 * its architecture (`details.family` or `general.architecture`). Undefined when neither is known.
 */
export function detectFimFamily(modelName: string, architecture?: string): FimFamily | undefined {
  const lastSegment = modelName.toLowerCase().split('/').pop() ?? '';
  const baseName = lastSegment.split(':')[0] ?? '';
  for (const [pattern, family] of NAME_PATTERNS) {
    if (pattern.test(baseName)) return family;
  }
  return architecture ? ARCHITECTURE_FAMILIES[architecture.toLowerCase()] : undefined;
}

export function isFimFamily(value: string): value is FimFamily {
  return (FIM_FAMILIES as readonly string[]).includes(value);
}
