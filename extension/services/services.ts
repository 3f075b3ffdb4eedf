/** The long-lived objects every feature may use, built once by the composition root (extension.ts). */
import type * as vscode from 'vscode';
import type { ModelDirectory } from '../common/modelDirectory';
import type { RelayConnection } from '../connection/relayConnection';
import type { EditorContext } from '../editor/editorContext';
import type { StatusBar } from '../status/statusBar';
import type { Generations } from './generations';
import type { ErrorNotifier } from './notifier';
import type { SettingsService } from './settingsService';

export interface Services {
  log: vscode.LogOutputChannel;
  notifier: ErrorNotifier;
  settings: SettingsService;
  connection: RelayConnection;
  models: ModelDirectory;
  editors: EditorContext;
  status: StatusBar;
  /** Running command generations (Fix, commit message…) that Stop cancels. */
  generations: Generations;
}
