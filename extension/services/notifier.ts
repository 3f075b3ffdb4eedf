/**
 * Error notifications that respect the user's attention: each kind of failure pops up once, with a
 * "Show Logs" action, and stays quiet until that feature succeeds again. Everything is logged regardless.
 */
import * as vscode from 'vscode';
import { COMMANDS } from '../common/ids';

const SHOW_LOGS = 'Show Logs';

export class ErrorNotifier {
  private readonly shown = new Set<string>();

  constructor(private readonly log: vscode.LogOutputChannel) {}

  /** Logs `message` and, unless `key` has already been shown since its last success, notifies. */
  error(key: string, message: string): void {
    this.log.error(`[${key}] ${message}`);
    if (this.shown.has(key)) return;
    this.shown.add(key);
    void vscode.window.showErrorMessage(`AIDE: ${message}`, SHOW_LOGS).then((choice) => {
      if (choice === SHOW_LOGS) void vscode.commands.executeCommand(COMMANDS.showLogs);
    });
  }

  /** The feature behind `key` worked again: its next failure may notify. */
  clear(key: string): void {
    this.shown.delete(key);
  }
}
