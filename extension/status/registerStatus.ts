/** The status bar's click menu and AIDE: Show Logs. */
import * as vscode from 'vscode';
import { COMMANDS, FOCUS_CHAT_VIEW_COMMAND, INTERNAL_COMMANDS } from '../common/ids';
import type { Services } from '../services/services';

export function registerStatus(context: vscode.ExtensionContext, services: Services): void {
  context.subscriptions.push(
    vscode.commands.registerCommand(COMMANDS.showLogs, () => services.log.show(true)),
    vscode.commands.registerCommand(INTERNAL_COMMANDS.statusMenu, () => showStatusMenu(services)),
  );
}

async function showStatusMenu(services: Services): Promise<void> {
  const paused = !services.settings.current.completion.enabled;
  const items: Array<vscode.QuickPickItem & { command: string }> = [
    { label: paused ? '$(play) Resume inline completions' : '$(debug-pause) Pause inline completions', command: COMMANDS.toggleCompletions },
    { label: '$(comment-discussion) Open chat', command: FOCUS_CHAT_VIEW_COMMAND },
    { label: '$(symbol-class) Select model…', command: COMMANDS.selectModel },
    { label: '$(plug) Test connection', command: COMMANDS.testConnection },
    { label: '$(key) Set relay token…', command: COMMANDS.setRelayToken },
    { label: '$(output) Show logs', command: COMMANDS.showLogs },
  ];
  const picked = await vscode.window.showQuickPick(items, { title: 'AIDE', placeHolder: services.status.presentation.tooltip });
  if (picked) await vscode.commands.executeCommand(picked.command);
}
