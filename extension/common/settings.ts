/**
 * The typed reader of the `aide.*` settings. The table below is the single source of truth for keys,
 * types, defaults and bounds inside the code; the unit tests hold package.json `contributes.configuration`
 * to it. Values from settings.json are user input: wrong types fall back to the default, numbers are
 * clamped to their range, so the rest of the extension never sees a malformed value.
 */

export const TEMPLATE_NAMES = ['auto', 'qwen', 'deepseek', 'codellama', 'starcoder', 'codegemma', 'codestral'] as const;
export type TemplateName = (typeof TEMPLATE_NAMES)[number];

interface StringSpec { type: 'string'; default: string }
interface EnumSpec<T extends string> { type: 'string'; default: T; enum: readonly T[] }
interface IntegerSpec { type: 'integer'; default: number; minimum: number; maximum: number }
interface BooleanSpec { type: 'boolean'; default: boolean }
interface ObjectSpec { type: 'object'; default: Readonly<Record<string, boolean>> }

/** Keys are relative to the `aide` section. */
export const SETTINGS = {
  'relay.url': { type: 'string', default: 'http://127.0.0.1:11435' } satisfies StringSpec,
  'chat.model': { type: 'string', default: '' } satisfies StringSpec,
  'completion.model': { type: 'string', default: '' } satisfies StringSpec,
  'completion.enabled': { type: 'boolean', default: true } satisfies BooleanSpec,
  'completion.debounceMs': { type: 'integer', default: 200, minimum: 0, maximum: 2000 } satisfies IntegerSpec,
  'completion.maxTokens': { type: 'integer', default: 128, minimum: 1, maximum: 2048 } satisfies IntegerSpec,
  'completion.maxLines': { type: 'integer', default: 8, minimum: 1, maximum: 200 } satisfies IntegerSpec,
  'completion.prefixTokens': { type: 'integer', default: 1024, minimum: 64, maximum: 32768 } satisfies IntegerSpec,
  'completion.suffixTokens': { type: 'integer', default: 256, minimum: 0, maximum: 16384 } satisfies IntegerSpec,
  'completion.template': { type: 'string', default: 'auto', enum: TEMPLATE_NAMES } satisfies EnumSpec<TemplateName>,
  'completion.languages': {
    type: 'object',
    default: { '*': true, plaintext: false, markdown: false, scminput: false },
  } satisfies ObjectSpec,
  contextLength: { type: 'integer', default: 8192, minimum: 512, maximum: 262144 } satisfies IntegerSpec,
} as const;

export type SettingKey = keyof typeof SETTINGS;
export const SETTINGS_SECTION = 'aide';

export interface CompletionConfig {
  enabled: boolean;
  model: string;
  debounceMs: number;
  maxTokens: number;
  maxLines: number;
  prefixTokens: number;
  suffixTokens: number;
  template: TemplateName;
  /** languageId → enabled; `"*"` is the fallback for languages not listed. */
  languages: Readonly<Record<string, boolean>>;
}

export interface AideSettings {
  /** Without a trailing slash. */
  relayUrl: string;
  chatModel: string;
  /** Upper bound for `num_ctx`; the value sent is min(this, the model's own context length). */
  contextLength: number;
  completion: CompletionConfig;
}

/** The part of `vscode.WorkspaceConfiguration` the reader needs (section `aide`). */
export interface ConfigurationSource {
  get(key: string): unknown;
}

export function readSettings(config: ConfigurationSource): AideSettings {
  return {
    relayUrl: readUrl(config.get('relay.url'), SETTINGS['relay.url'].default),
    chatModel: readString(config.get('chat.model'), SETTINGS['chat.model'].default),
    contextLength: readInteger(config.get('contextLength'), SETTINGS.contextLength),
    completion: {
      enabled: readBoolean(config.get('completion.enabled'), SETTINGS['completion.enabled'].default),
      model: readString(config.get('completion.model'), SETTINGS['completion.model'].default),
      debounceMs: readInteger(config.get('completion.debounceMs'), SETTINGS['completion.debounceMs']),
      maxTokens: readInteger(config.get('completion.maxTokens'), SETTINGS['completion.maxTokens']),
      maxLines: readInteger(config.get('completion.maxLines'), SETTINGS['completion.maxLines']),
      prefixTokens: readInteger(config.get('completion.prefixTokens'), SETTINGS['completion.prefixTokens']),
      suffixTokens: readInteger(config.get('completion.suffixTokens'), SETTINGS['completion.suffixTokens']),
      template: readEnum(config.get('completion.template'), TEMPLATE_NAMES, SETTINGS['completion.template'].default),
      languages: readLanguages(config.get('completion.languages'), SETTINGS['completion.languages'].default),
    },
  };
}

/** Whether completions are on for a language: its own entry, else `"*"`, else on. */
export function isLanguageEnabled(languages: Readonly<Record<string, boolean>>, languageId: string): boolean {
  return languages[languageId] ?? languages['*'] ?? true;
}

function readString(value: unknown, fallback: string): string {
  return typeof value === 'string' ? value.trim() : fallback;
}

function readBoolean(value: unknown, fallback: boolean): boolean {
  return typeof value === 'boolean' ? value : fallback;
}

function readInteger(value: unknown, spec: IntegerSpec): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) return spec.default;
  return Math.min(spec.maximum, Math.max(spec.minimum, Math.round(value)));
}

function readEnum<T extends string>(value: unknown, allowed: readonly T[], fallback: T): T {
  return allowed.find((candidate) => candidate === value) ?? fallback;
}

function readUrl(value: unknown, fallback: string): string {
  const text = readString(value, fallback);
  try {
    const url = new URL(text);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return fallback;
    // Credentials in the URL would be repeated by every error message; the token has its own secret store.
    if (url.username !== '' || url.password !== '') return fallback;
    return text.replace(/\/+$/, '');
  } catch {
    return fallback;
  }
}

function readLanguages(value: unknown, fallback: Readonly<Record<string, boolean>>): Readonly<Record<string, boolean>> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return fallback;
  const languages: Record<string, boolean> = {};
  for (const [languageId, enabled] of Object.entries(value)) {
    if (typeof enabled === 'boolean') languages[languageId] = enabled;
  }
  return languages;
}
