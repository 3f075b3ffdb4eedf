/**
 * The AIDE status bar item. Chat, commands and completions report their activity here; the text and
 * tooltip come from the pure `presentStatus`.
 */
import * as vscode from 'vscode';
import { INTERNAL_COMMANDS } from '../common/ids';
import { Disposable } from '../common/lifecycle';
import { presentStatus, type StatusState } from '../common/statusModel';

/** What features need from the status bar. */
export interface ActivityReporter {
  /** Marks a generation as running; call the returned function once when it ends. */
  begin(): () => void;
  completionSucceeded(latencyMs: number): void;
  failed(message: string): void;
  succeeded(): void;
}

export class StatusBar extends Disposable implements ActivityReporter {
  private readonly item = this._register(vscode.window.createStatusBarItem('aide.status', vscode.StatusBarAlignment.Right, 100));
  private state: StatusState = { active: 0, completionsPaused: false };

  constructor() {
    super();
    this.item.name = 'AIDE';
    this.item.command = INTERNAL_COMMANDS.statusMenu;
    this.render();
    this.item.show();
  }

  begin(): () => void {
    this.update({ active: this.state.active + 1 });
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      this.update({ active: Math.max(0, this.state.active - 1) });
    };
  }

  completionSucceeded(latencyMs: number): void {
    this.update({ lastLatencyMs: latencyMs, error: undefined });
  }

  failed(message: string): void {
    this.update({ error: message });
  }

  succeeded(): void {
    if (this.state.error !== undefined) this.update({ error: undefined });
  }

  setPaused(paused: boolean): void {
    this.update({ completionsPaused: paused });
  }

  /** The current presentation, for tests and the status menu. */
  get presentation(): ReturnType<typeof presentStatus> {
    return presentStatus(this.state);
  }

  private update(change: Partial<StatusState>): void {
    this.state = { ...this.state, ...change };
    this.render();
  }

  private render(): void {
    const presentation = presentStatus(this.state);
    this.item.text = presentation.text;
    this.item.tooltip = presentation.tooltip;
    this.item.backgroundColor = presentation.kind === 'error' ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined;
  }
}
