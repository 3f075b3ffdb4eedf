/**
 * Inline completions: the engine, its provider for every language, the pause toggle, and the wiring of
 * engine activity into the status bar. The engine's caches are dropped whenever what they were computed
 * for changes: the relay, the token, the model, the template or the context bound.
 */
import * as vscode from 'vscode';
import { CompletionEngine, type CompletionActivity, type CompletionSettings } from '../common/completion/engine';
import { COMMANDS, COMPLETION_ACCEPTED_CONTEXT_KEY, INTERNAL_COMMANDS } from '../common/ids';
import type { AideSettings } from '../common/settings';
import type { Services } from '../services/services';
import { AideInlineCompletionProvider } from './inlineProvider';

export function registerCompletions(context: vscode.ExtensionContext, services: Services): void {
  const { settings, connection, status, notifier } = services;
  const activity = new CompletionActivityTracker(services);
  const engine = new CompletionEngine({
    endpoint: () => connection.endpoint(),
    settings: () => engineSettings(settings.current),
    onActivity: (event) => activity.handle(event),
  });
  context.subscriptions.push({ dispose: () => engine.dispose() }, activity);

  const provider = new AideInlineCompletionProvider({
    engine,
    settings: () => settings.current.completion,
    onResult: (result) => {
      notifier.clear('completion');
      status.completionSucceeded(result.latencyMs);
    },
  });
  context.subscriptions.push(vscode.languages.registerInlineCompletionItemProvider({ pattern: '**' }, provider));

  status.setPaused(!settings.current.completion.enabled);
  let cacheKey = engineCacheKey(settings.current);
  let accepted = false;
  context.subscriptions.push(
    settings.onDidChange((next) => {
      status.setPaused(!next.completion.enabled);
      const key = engineCacheKey(next);
      if (key !== cacheKey) engine.clearCache();
      cacheKey = key;
    }),
    connection.onDidChange(() => engine.clearCache()),
    vscode.commands.registerCommand(INTERNAL_COMMANDS.completionAccepted, () => {
      if (accepted) return;
      accepted = true;
      void vscode.commands.executeCommand('setContext', COMPLETION_ACCEPTED_CONTEXT_KEY, true);
    }),
    vscode.commands.registerCommand(COMMANDS.toggleCompletions, async () => {
      const enabled = !settings.current.completion.enabled;
      await settings.update('completion.enabled', enabled);
      vscode.window.setStatusBarMessage(enabled ? 'AIDE: inline completions on' : 'AIDE: inline completions paused', 3000);
    }),
  );
}

export function engineSettings(settings: AideSettings): CompletionSettings {
  const { model, debounceMs, maxTokens, maxLines, prefixTokens, suffixTokens, template } = settings.completion;
  return { model, debounceMs, maxTokens, maxLines, prefixTokens, suffixTokens, template, contextLength: settings.contextLength };
}

/** What the engine's answers depend on besides the text: a change makes cached answers stale. */
function engineCacheKey(settings: AideSettings): string {
  const { model, template, maxTokens, maxLines } = settings.completion;
  return JSON.stringify([model, template, maxTokens, maxLines, settings.contextLength]);
}

/** Turns engine activity into status bar state: a spinner per request in flight, errors once. */
class CompletionActivityTracker {
  private readonly running = new Map<string, Array<() => void>>();

  constructor(private readonly services: Pick<Services, 'status' | 'notifier'>) {}

  handle(event: CompletionActivity): void {
    switch (event.kind) {
      case 'start': {
        const ends = this.running.get(event.documentKey) ?? [];
        ends.push(this.services.status.begin());
        this.running.set(event.documentKey, ends);
        return;
      }
      case 'end': {
        const ends = this.running.get(event.documentKey);
        ends?.shift()?.();
        if (ends?.length === 0) this.running.delete(event.documentKey);
        return;
      }
      case 'error':
        this.services.status.failed(event.message);
        this.services.notifier.error('completion', event.message);
        return;
      default: {
        const unknown: never = event;
        throw new Error(`Unhandled completion activity ${JSON.stringify(unknown)}`);
      }
    }
  }

  dispose(): void {
    for (const ends of this.running.values()) for (const end of ends) end();
    this.running.clear();
  }
}
