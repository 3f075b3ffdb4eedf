/**
 * The models the extension may use: the installed list (cached, refreshed on demand), the chat model
 * (the configured one, else the first installed chat-capable model) and the `num_ctx` to send for a
 * model, which must equal what completions send (see `effectiveContextLength`).
 */
import { effectiveContextLength } from './completion/modelInfo';
import { listModels, ModelInfoCache, type InstalledModel } from './modelCatalog';
import type { RelayEndpoint } from './relayClient';
import type { AideSettings } from './settings';

export class NoModelError extends Error {
  constructor() {
    super('No models are installed on the Ollama host — pull one there with `ollama pull <model>`');
    this.name = 'NoModelError';
  }
}

export class ModelDirectory {
  private installed: InstalledModel[] = [];
  private readonly info = new ModelInfoCache();
  private readonly listeners = new Set<(models: readonly InstalledModel[]) => void>();

  constructor(
    private readonly endpoint: () => RelayEndpoint,
    private readonly settings: () => AideSettings,
  ) {}

  /** The last list fetched (empty before the first refresh). */
  get models(): readonly InstalledModel[] {
    return this.installed;
  }

  get names(): string[] {
    return this.installed.map((model) => model.name);
  }

  onDidChange(listener: (models: readonly InstalledModel[]) => void): { dispose(): void } {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  async refresh(signal: AbortSignal): Promise<readonly InstalledModel[]> {
    this.installed = await listModels(this.endpoint(), signal);
    for (const listener of this.listeners) listener(this.installed);
    return this.installed;
  }

  /** The configured chat model, else the first installed one that can chat. Throws NoModelError. */
  async chatModel(signal: AbortSignal): Promise<string> {
    const configured = this.settings().chatModel;
    if (configured) return configured;
    if (this.installed.length === 0) await this.refresh(signal);
    const pick = this.automaticChatModel();
    if (!pick) throw new NoModelError();
    return pick;
  }

  /** The model used when `aide.chat.model` is empty: the first installed one that can chat. */
  automaticChatModel(): string | undefined {
    return this.installed.find(canChat)?.name;
  }

  /** `num_ctx` for `model`: min(aide.contextLength, the model's own context length). */
  async contextLength(model: string, signal: AbortSignal): Promise<number> {
    return effectiveContextLength(await this.info.get(this.endpoint(), model, signal), this.settings().contextLength);
  }

  /** Forgets everything fetched; called when the relay URL or token changes. */
  clear(): void {
    this.installed = [];
    this.info.clear();
    for (const listener of this.listeners) listener(this.installed);
  }
}

function canChat(model: InstalledModel): boolean {
  if (model.capabilities) return model.capabilities.includes('completion');
  return !/embed/i.test(model.name) && !/bert/i.test(model.family ?? '');
}
