/**
 * The window's UI surfaces, recorded for assertions and scripted for answers: notifications, input
 * boxes, quick picks, progress, the output channel, status bar items and webview views.
 */
import type * as vscode from 'vscode';
import { CancellationTokenSource, Disposable, EventEmitter } from './events';
import { Uri } from './text';

export interface ShownMessage {
  severity: 'info' | 'warning' | 'error';
  message: string;
  items: string[];
}

/** Answers a notification: the item to "click", or undefined to dismiss it. */
export type MessageResponder = (message: ShownMessage) => string | undefined;
export type InputResponder = (options: vscode.InputBoxOptions | undefined) => string | undefined;
export type QuickPickResponder = (labels: string[], options: vscode.QuickPickOptions | undefined) => string | undefined;

export class UiRecorder {
  messages: ShownMessage[] = [];
  statusMessages: string[] = [];
  inputBoxes: Array<vscode.InputBoxOptions | undefined> = [];
  quickPicks: Array<{ labels: string[]; options: vscode.QuickPickOptions | undefined }> = [];
  progress: Array<{ title: string | undefined; source: CancellationTokenSource; reports: string[] }> = [];
  respondToMessage: MessageResponder = () => undefined;
  respondToInput: InputResponder = () => undefined;
  respondToQuickPick: QuickPickResponder = () => undefined;

  reset(): void {
    this.messages = [];
    this.statusMessages = [];
    this.inputBoxes = [];
    this.quickPicks = [];
    this.progress = [];
    this.respondToMessage = () => undefined;
    this.respondToInput = () => undefined;
    this.respondToQuickPick = () => undefined;
  }

  show(severity: ShownMessage['severity'], message: string, rest: unknown[]): Promise<string | undefined> {
    // Items may follow an options object ({ modal }); only string items are used by this extension.
    const items = rest.filter((item): item is string => typeof item === 'string');
    const shown = { severity, message, items };
    this.messages.push(shown);
    return Promise.resolve(this.respondToMessage(shown));
  }

  inputBox(options: vscode.InputBoxOptions | undefined): Promise<string | undefined> {
    this.inputBoxes.push(options);
    return Promise.resolve(this.respondToInput(options));
  }

  async quickPick<T extends vscode.QuickPickItem | string>(items: readonly T[] | Thenable<readonly T[]>, options?: vscode.QuickPickOptions): Promise<T | undefined> {
    const resolved = await items;
    const labels = resolved.map((item) => (typeof item === 'string' ? item : item.label));
    this.quickPicks.push({ labels, options });
    const answer = this.respondToQuickPick(labels, options);
    return resolved.find((item) => (typeof item === 'string' ? item : item.label) === answer);
  }

  withProgress<R>(
    options: vscode.ProgressOptions,
    task: (progress: vscode.Progress<{ message?: string; increment?: number }>, token: vscode.CancellationToken) => Thenable<R>,
  ): Thenable<R> {
    const source = new CancellationTokenSource();
    const entry = { title: options.title, source, reports: [] as string[] };
    this.progress.push(entry);
    return task({ report: (value) => entry.reports.push(value.message ?? '') }, source.token);
  }
}

export enum LogLevel {
  Off = 0,
  Trace = 1,
  Debug = 2,
  Info = 3,
  Warning = 4,
  Error = 5,
}

export class FakeLogOutputChannel implements vscode.LogOutputChannel {
  readonly lines: string[] = [];
  readonly logLevel = LogLevel.Info;
  readonly onDidChangeLogLevel = new EventEmitter<LogLevel>().event;
  shown = 0;

  constructor(readonly name: string) {}

  trace(message: string): void {
    this.lines.push(`[trace] ${message}`);
  }

  debug(message: string): void {
    this.lines.push(`[debug] ${message}`);
  }

  info(message: string): void {
    this.lines.push(`[info] ${message}`);
  }

  warn(message: string): void {
    this.lines.push(`[warning] ${message}`);
  }

  error(error: string | Error): void {
    this.lines.push(`[error] ${typeof error === 'string' ? error : error.message}`);
  }

  append(value: string): void {
    this.lines.push(value);
  }

  appendLine(value: string): void {
    this.lines.push(value);
  }

  replace(value: string): void {
    this.lines.splice(0, this.lines.length, value);
  }

  clear(): void {
    this.lines.splice(0);
  }

  show(): void {
    this.shown += 1;
  }

  hide(): void {}

  dispose(): void {}
}

export enum StatusBarAlignment {
  Left = 1,
  Right = 2,
}

export class ThemeColor {
  constructor(readonly id: string) {}
}

export class FakeStatusBarItem implements vscode.StatusBarItem {
  name: string | undefined;
  text = '';
  tooltip: string | vscode.MarkdownString | undefined;
  color: string | ThemeColor | undefined;
  backgroundColor: ThemeColor | undefined;
  command: string | vscode.Command | undefined;
  accessibilityInformation: vscode.AccessibilityInformation | undefined;
  visible = false;
  disposed = false;

  constructor(
    readonly id: string,
    readonly alignment: StatusBarAlignment,
    readonly priority: number | undefined,
  ) {}

  show(): void {
    this.visible = true;
  }

  hide(): void {
    this.visible = false;
  }

  dispose(): void {
    this.disposed = true;
  }
}

/** A webview view: the host side sees `vscode.WebviewView`; tests play the page with `receive` and read `posted`. */
export class FakeWebviewView implements vscode.WebviewView {
  readonly posted: unknown[] = [];
  private readonly messages = new EventEmitter<unknown>();
  private readonly disposeEmitter = new EventEmitter<void>();
  private readonly visibility = new EventEmitter<void>();
  title?: string;
  description?: string;
  visible = true;

  readonly webview: vscode.Webview;
  readonly onDidDispose = this.disposeEmitter.event;
  readonly onDidChangeVisibility = this.visibility.event;

  /** `cspSource` is what desktop VS Code reports; code-server reports `'self' https://*.vscode-cdn.net`. */
  constructor(
    readonly viewType: string,
    cspSource = 'https://fake.vscode-cdn.net',
  ) {
    const view = this;
    this.webview = {
      options: {},
      html: '',
      cspSource,
      onDidReceiveMessage: this.messages.event,
      postMessage(message: unknown): Promise<boolean> {
        view.posted.push(message);
        return Promise.resolve(true);
      },
      asWebviewUri: (uri: vscode.Uri) => Uri.from({ scheme: 'https', authority: 'fake.vscode-cdn.net', path: uri.path }),
    };
  }

  /** The page sends a message to the host. */
  receive(message: unknown): void {
    this.messages.fire(message);
  }

  /** Number of host listeners on the page's messages (leak checks on re-resolve). */
  get messageListeners(): number {
    return this.messages.listenerCount;
  }

  show(): void {
    this.visible = true;
    this.visibility.fire();
  }

  dispose(): void {
    this.visible = false;
    this.disposeEmitter.fire();
  }
}

export { Disposable };
