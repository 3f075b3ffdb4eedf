/**
 * Composition root: builds the long-lived services, then registers one feature at a time. Everything
 * registered is owned by `context.subscriptions` and released on deactivation.
 */
import * as vscode from 'vscode';
import { registerSelectionActions } from './actions/registerSelectionActions';
import { registerChat } from './chat/registerChat';
import { withoutCredentials } from './common/errors';
import { ModelDirectory } from './common/modelDirectory';
import { GENERATING_CONTEXT_KEY, OUTPUT_CHANNEL_NAME } from './common/ids';
import { registerCompletions } from './completion/registerCompletions';
import { RelayConnection } from './connection/relayConnection';
import { registerConnection } from './connection/registerConnection';
import { EditorContext } from './editor/editorContext';
import { registerCommitMessage } from './git/registerCommitMessage';
import { registerModelPicker } from './models/registerModelPicker';
import { Generations } from './services/generations';
import { ErrorNotifier } from './services/notifier';
import type { Services } from './services/services';
import { SettingsService } from './services/settingsService';
import { registerStatus } from './status/registerStatus';
import { StatusBar } from './status/statusBar';

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const services = await createServices(context);
  registerStatus(context, services);
  registerConnection(context, services);
  registerModelPicker(context, services);
  registerCompletions(context, services);
  const chat = registerChat(context, services);
  registerSelectionActions(context, services, chat);
  registerCommitMessage(context, services);
  services.log.info(`AIDE activated (relay ${withoutCredentials(services.settings.current.relayUrl)}, ${services.connection.hasToken ? 'token set' : 'no token'})`);
}

export function deactivate(): void {
  // Everything is owned by context.subscriptions.
}

async function createServices(context: vscode.ExtensionContext): Promise<Services> {
  const own = <T extends vscode.Disposable>(item: T): T => {
    context.subscriptions.push(item);
    return item;
  };
  const log = own(vscode.window.createOutputChannel(OUTPUT_CHANNEL_NAME, { log: true }));
  const settings = own(new SettingsService());
  const connection = own(await RelayConnection.create(context.secrets, settings));
  const models = new ModelDirectory(() => connection.endpoint(), () => settings.current);
  own(connection.onDidChange(() => models.clear()));
  return {
    log,
    notifier: new ErrorNotifier(log),
    settings,
    connection,
    models,
    editors: own(new EditorContext()),
    status: own(new StatusBar()),
    generations: new Generations((busy) => void vscode.commands.executeCommand('setContext', GENERATING_CONTEXT_KEY, busy)),
  };
}
