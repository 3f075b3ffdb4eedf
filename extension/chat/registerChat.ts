/**
 * The chat view and its commands (New Chat, Stop Generation). Returns the controller, through which
 * the selection commands ask their questions in the chat.
 */
import * as vscode from 'vscode';
import { ChatSessionStore } from '../common/chatSessions';
import { CHAT_SESSIONS_STATE_KEY, CHAT_VIEW_ID, COMMANDS, FOCUS_CHAT_VIEW_COMMAND } from '../common/ids';
import type { Services } from '../services/services';
import { ChatController } from './chatController';
import { ChatViewProvider } from './chatViewProvider';
import { createCodeActions } from './codeActions';

export function registerChat(context: vscode.ExtensionContext, services: Services): ChatController {
  const { settings, connection, models, editors, status, log, notifier, generations } = services;
  const controller = new ChatController({
    endpoint: () => connection.endpoint(),
    settings: () => settings.current,
    store: new ChatSessionStore(context.globalState, CHAT_SESSIONS_STATE_KEY),
    models,
    editor: editors,
    // The chat answer counts for the status bar and for the Stop button's context key alike.
    activity: {
      begin: () => {
        const endStatus = status.begin();
        const endGeneration = generations.begin();
        return () => {
          endGeneration();
          endStatus();
        };
      },
      failed: (message) => status.failed(message),
      succeeded: () => status.succeeded(),
    },
    log,
    codeActions: createCodeActions(editors),
    selectChatModel: (model) => settings.update('chat.model', model),
    showLogs: () => log.show(true),
    notifyError: (key, message) => notifier.error(key, message),
    clearError: (key) => notifier.clear(key),
  });
  const provider = new ChatViewProvider(context.extensionUri, controller, log);

  let chatModel = settings.current.chatModel;
  context.subscriptions.push(
    controller,
    provider,
    vscode.window.registerWebviewViewProvider(CHAT_VIEW_ID, provider, { webviewOptions: { retainContextWhenHidden: false } }),
    editors.onDidChange((info) => controller.updateContext(info)),
    settings.onDidChange((next) => {
      if (next.chatModel === chatModel) return;
      chatModel = next.chatModel;
      controller.postModels();
    }),
    connection.onDidChange(() => void controller.connectionChanged()),
    vscode.commands.registerCommand(COMMANDS.newChat, async () => {
      await vscode.commands.executeCommand(FOCUS_CHAT_VIEW_COMMAND);
      await controller.newChat();
    }),
    vscode.commands.registerCommand(COMMANDS.stop, () => {
      const stoppedChat = controller.stop();
      const stoppedCommands = generations.stopAll();
      if (!stoppedChat && stoppedCommands === 0) vscode.window.setStatusBarMessage('AIDE: nothing is running', 2000);
    }),
  );
  return controller;
}
