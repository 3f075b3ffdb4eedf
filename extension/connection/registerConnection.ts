/**
 * AIDE: Set Relay Token, Sign Out and Test Connection. The token goes from a password input box
 * straight into SecretStorage; it is never echoed, logged or put in a setting.
 */
import * as vscode from 'vscode';
import { abortSignalFromToken } from '../common/cancellation';
import { probeConnection } from '../common/connectionProbe';
import { TOKEN_HINT, withoutCredentials } from '../common/errors';
import { COMMANDS } from '../common/ids';
import type { Services } from '../services/services';

const TEST_CONNECTION = 'Test Connection';
const SET_TOKEN = 'Set Relay Token';
const OPEN_SETTINGS = 'Open Settings';
const SHOW_LOGS = 'Show Logs';

export function registerConnection(context: vscode.ExtensionContext, services: Services): void {
  context.subscriptions.push(
    vscode.commands.registerCommand(COMMANDS.setRelayToken, () => setRelayToken(services)),
    vscode.commands.registerCommand(COMMANDS.signOut, () => signOut(services)),
    vscode.commands.registerCommand(COMMANDS.testConnection, () => testConnection(services)),
  );
}

async function setRelayToken(services: Services): Promise<void> {
  const url = withoutCredentials(services.connection.endpoint().url);
  const token = await vscode.window.showInputBox({
    title: 'AIDE: Set Relay Token',
    prompt: `The token the AIDE relay at ${url} accepts (the relay prints where it stored it when it starts). It is kept in VS Code's secret storage.`,
    placeHolder: 'relay token',
    password: true,
    ignoreFocusOut: true,
    validateInput: (value) => (value.trim() === '' ? 'Enter the token' : /\s/.test(value.trim()) ? 'A token has no spaces' : undefined),
  });
  if (token === undefined) return;
  await services.connection.setToken(token.trim());
  services.log.info('Relay token saved to secret storage.');
  const choice = await vscode.window.showInformationMessage('AIDE: Relay token saved.', TEST_CONNECTION);
  if (choice === TEST_CONNECTION) await vscode.commands.executeCommand(COMMANDS.testConnection);
}

async function signOut(services: Services): Promise<void> {
  const had = services.connection.hasToken;
  await services.connection.clearToken();
  services.log.info('Relay token removed from secret storage.');
  void vscode.window.showInformationMessage(had ? 'AIDE: signed out; the relay token was removed from this machine.' : 'AIDE: no relay token was stored.');
}

async function testConnection(services: Services): Promise<void> {
  const { settings, connection, log } = services;
  const endpoint = connection.endpoint();
  const models = { chat: settings.current.chatModel, completion: settings.current.completion.model };
  const report = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `AIDE: testing the connection to ${withoutCredentials(endpoint.url)}`, cancellable: true },
    async (_progress, token) => {
      const bridge = abortSignalFromToken(token);
      try {
        return await probeConnection(endpoint, models, bridge.signal);
      } finally {
        bridge.dispose();
      }
    },
  );
  log.info(`Test connection (${endpoint.token ? 'with' : 'without'} a relay token):`);
  for (const step of report.steps) log.info(`  ${step.ok ? 'ok  ' : 'FAIL'} ${step.name}: ${step.detail}`);
  if (report.ok) {
    services.status.succeeded();
    services.notifier.clear('completion');
    void vscode.window.showInformationMessage(`AIDE: ${report.summary}`);
    return;
  }
  const actions = report.summary === TOKEN_HINT ? [SET_TOKEN, SHOW_LOGS] : report.summary.startsWith('Relay unreachable') ? [OPEN_SETTINGS, SHOW_LOGS] : [SHOW_LOGS];
  const choice = await vscode.window.showErrorMessage(`AIDE: ${report.summary}`, ...actions);
  if (choice === SET_TOKEN) await vscode.commands.executeCommand(COMMANDS.setRelayToken);
  else if (choice === OPEN_SETTINGS) await vscode.commands.executeCommand('workbench.action.openSettings', 'aide.relay.url');
  else if (choice === SHOW_LOGS) log.show(true);
}
