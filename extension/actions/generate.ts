/**
 * One non-chat generation run from a command (Fix, Add Docs, Refactor, commit message): a cancellable
 * progress notification, the chat model and its `num_ctx`, and errors in words with "Show Logs".
 * AIDE: Stop Generation cancels it as well.
 */
import * as vscode from 'vscode';
import { abortSignalFromToken } from '../common/cancellation';
import { runChat, type ChatMessage } from '../common/chatRun';
import { describeError } from '../common/errors';
import { COMMANDS } from '../common/ids';
import { PromptTooLargeError } from '../common/prompts';
import type { Services } from '../services/services';

export interface Generated {
  text: string;
  model: string;
  /** The context window the prompt was sized to. */
  numCtx: number;
  /** Ollama's `done_reason`; `length` means the answer was cut. */
  doneReason?: string;
}

/**
 * The prompt, built once the model's `num_ctx` is known so it can be sized to it. A builder throws
 * `PromptTooLargeError` to refuse input that cannot fit; the user is told, nothing is sent.
 */
export type PromptBuilder = (numCtx: number) => readonly ChatMessage[];

/** Resolves undefined when the user cancelled or the request failed (the failure is already reported). */
export async function generateWithProgress(services: Services, title: string, prompt: PromptBuilder): Promise<Generated | undefined> {
  return vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, async (progress, token) => {
    const bridge = abortSignalFromToken(token);
    const controller = new AbortController();
    const signal = AbortSignal.any([bridge.signal, controller.signal]);
    const tracked = services.generations.track(controller);
    const end = services.status.begin();
    const endpoint = services.connection.endpoint();
    let model = '';
    try {
      model = await services.models.chatModel(signal);
      const numCtx = await services.models.contextLength(model, signal);
      const messages = prompt(numCtx);
      let received = 0;
      progress.report({ message: `waiting for ${model}…` });
      const result = await runChat({
        endpoint,
        model,
        messages,
        numCtx,
        signal,
        onDelta: (text) => {
          received += text.length;
          progress.report({ message: `${model}: ${received} characters` });
        },
        onLoading: () => progress.report({ message: `loading ${model}…` }),
      });
      if (result.stopped) return undefined;
      services.status.succeeded();
      return { text: result.text, model, numCtx, ...(result.doneReason ? { doneReason: result.doneReason } : {}) };
    } catch (error) {
      if (error instanceof PromptTooLargeError) {
        services.log.warn(`${title}: ${error.message}`);
        void showError(error.message);
        return undefined;
      }
      const described = describeError(error, { url: endpoint.url, ...(model ? { model } : {}) }, signal);
      if (described.kind === 'aborted') return undefined;
      services.log.error(`${title} failed: ${described.message}`);
      services.status.failed(described.message);
      void showError(described.message);
      return undefined;
    } finally {
      end();
      tracked.dispose();
      bridge.dispose();
    }
  });
}

/** A user-started command failed: say so every time (unlike background failures), with the logs one click away. */
export async function showError(message: string): Promise<void> {
  const choice = await vscode.window.showErrorMessage(`AIDE: ${message}`, 'Show Logs');
  if (choice === 'Show Logs') await vscode.commands.executeCommand(COMMANDS.showLogs);
}
