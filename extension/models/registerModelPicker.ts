/**
 * AIDE: Select Model — choose the chat or the completion model from what the Ollama host has installed
 * (`/api/tags`). The choice is written to `aide.chat.model` / `aide.completion.model`.
 */
import * as vscode from 'vscode';
import { showError } from '../actions/generate';
import { describeError } from '../common/errors';
import { COMMANDS } from '../common/ids';
import type { InstalledModel } from '../common/modelCatalog';
import type { Services } from '../services/services';

type Purpose = 'chat' | 'completion';

interface ModelItem extends vscode.QuickPickItem {
  model: string;
}

export function registerModelPicker(context: vscode.ExtensionContext, services: Services): void {
  context.subscriptions.push(
    vscode.commands.registerCommand(COMMANDS.selectModel, (purpose?: unknown) =>
      selectModel(services, purpose === 'chat' || purpose === 'completion' ? purpose : undefined),
    ),
  );
}

async function selectModel(services: Services, given: Purpose | undefined): Promise<void> {
  const purpose = given ?? (await pickPurpose(services));
  if (!purpose) return;
  let models: readonly InstalledModel[];
  try {
    models = await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: 'AIDE: listing models' }, () =>
      services.models.refresh(AbortSignal.timeout(15_000)),
    );
  } catch (error) {
    const message = describeError(error, { url: services.connection.endpoint().url }).message;
    services.log.error(`Select model: ${message}`);
    void showError(`could not list models: ${message}`);
    return;
  }
  const current = purpose === 'chat' ? services.settings.current.chatModel : services.settings.current.completion.model;
  const items: ModelItem[] = [
    {
      model: '',
      label: 'Automatic',
      description: current === '' ? '(current)' : '',
      detail: purpose === 'chat' ? 'The first installed model that can chat' : 'The first installed model that can fill in the middle',
    },
    ...models.map((model) => ({
      model: model.name,
      label: model.name,
      description: [model.parameterSize, model.quantization, model.name === current ? '(current)' : ''].filter(Boolean).join(' · '),
      ...(model.capabilities ? { detail: `capabilities: ${model.capabilities.join(', ')}` } : {}),
    })),
  ];
  const picked = await vscode.window.showQuickPick(items, {
    title: `AIDE: ${purpose === 'chat' ? 'Chat' : 'Completion'} model`,
    placeHolder: models.length ? `Current: ${current || 'Automatic'}` : 'No models are installed on the Ollama host',
    matchOnDescription: true,
  });
  if (!picked) return;
  await services.settings.update(purpose === 'chat' ? 'chat.model' : 'completion.model', picked.model);
  vscode.window.setStatusBarMessage(`AIDE: ${purpose} model set to ${picked.model || 'Automatic'}`, 3000);
}

async function pickPurpose(services: Services): Promise<Purpose | undefined> {
  const { chatModel, completion } = services.settings.current;
  const picked = await vscode.window.showQuickPick(
    [
      { purpose: 'chat' as const, label: 'Chat model', description: chatModel || 'Automatic', detail: 'Used by the chat view and the Explain, Fix, Tests, Docs, Refactor and commit message commands' },
      { purpose: 'completion' as const, label: 'Completion model', description: completion.model || 'Automatic', detail: 'Used for inline (ghost text) completions; needs fill-in-the-middle' },
    ],
    { title: 'AIDE: Select Model', placeHolder: 'Which model do you want to change?' },
  );
  return picked?.purpose;
}
