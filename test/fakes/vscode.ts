/**
 * A hand-written fake of the `vscode` module for unit tests. The extension's code imports `vscode`; the
 * loader hook in test/unit/extension/.setup.ts resolves that import to this file. It implements the
 * part of the API the extension uses, with the real API's semantics (events, ranges, settings defaults
 * from package.json, secret storage, webviews), and records what the extension showed so tests can
 * assert on it. `fake` is the test's handle: scripted answers, recorded state, and `reset()`.
 */
import type * as vscode from 'vscode';
import { ConfigurationStore, ConfigurationTarget } from './vscode/configuration';
import { FakeExtensionContext } from './vscode/context';
import { CancellationError, CancellationTokenSource, Disposable, EventEmitter } from './vscode/events';
import { applyEdits, EndOfLine, FakeTextDocument, FakeTextEditor, Position, Range, Selection, Uri } from './vscode/text';
import { FakeLogOutputChannel, FakeStatusBarItem, FakeWebviewView, LogLevel, StatusBarAlignment, ThemeColor, UiRecorder } from './vscode/ui';

export { CancellationError, CancellationTokenSource, ConfigurationTarget, Disposable, EndOfLine, EventEmitter, LogLevel, Position, Range, Selection, StatusBarAlignment, ThemeColor, Uri };
export { ExtensionKind, ExtensionMode } from './vscode/context';

export enum ProgressLocation {
  SourceControl = 1,
  Window = 10,
  Notification = 15,
}

export enum DiagnosticSeverity {
  Error = 0,
  Warning = 1,
  Information = 2,
  Hint = 3,
}

export enum InlineCompletionTriggerKind {
  Invoke = 0,
  Automatic = 1,
}

export enum ViewColumn {
  Active = -1,
  Beside = -2,
  One = 1,
}

export class Diagnostic {
  severity = DiagnosticSeverity.Error;
  constructor(
    readonly range: Range,
    readonly message: string,
    severity?: DiagnosticSeverity,
  ) {
    if (severity !== undefined) this.severity = severity;
  }
}

export class InlineCompletionItem {
  command: vscode.Command | undefined;
  constructor(
    readonly insertText: string,
    readonly range?: Range,
  ) {}
}

export class WorkspaceEdit {
  readonly edits: Array<{ uri: Uri; range: Range; text: string }> = [];

  replace(uri: Uri, range: Range, text: string): void {
    this.edits.push({ uri, range, text });
  }

  insert(uri: Uri, position: Position, text: string): void {
    this.edits.push({ uri, range: new Range(position, position), text });
  }
}

export class TabInputTextDiff {
  constructor(
    readonly original: Uri,
    readonly modified: Uri,
  ) {}
}

interface FakeTab {
  label: string;
  input: unknown;
}

type CommandHandler = (...args: unknown[]) => unknown;

/** Everything a test controls or inspects. */
class FakeState {
  readonly configuration = new ConfigurationStore();
  readonly ui = new UiRecorder();
  readonly commands = new Map<string, CommandHandler>();
  /** Commands executed that no one registered (built-ins such as `vscode.diff`, `setContext`). */
  readonly executed: Array<{ command: string; args: unknown[] }> = [];
  readonly outputChannels: FakeLogOutputChannel[] = [];
  readonly statusBarItems: FakeStatusBarItem[] = [];
  readonly webviewViewProviders = new Map<string, vscode.WebviewViewProvider>();
  readonly inlineProviders: vscode.InlineCompletionItemProvider[] = [];
  readonly contentProviders = new Map<string, vscode.TextDocumentContentProvider>();
  readonly diagnostics = new Map<string, Diagnostic[]>();
  readonly documents: FakeTextDocument[] = [];
  readonly extensions = new Map<string, vscode.Extension<unknown>>();
  readonly tabs: FakeTab[] = [];
  readonly contextKeys = new Map<string, unknown>();
  clipboard = '';
  activeTextEditor: FakeTextEditor | undefined;
  visibleTextEditors: FakeTextEditor[] = [];
  readonly activeEditorChanges = new EventEmitter<FakeTextEditor | undefined>();
  readonly visibleEditorChanges = new EventEmitter<readonly FakeTextEditor[]>();
  readonly selectionChanges = new EventEmitter<vscode.TextEditorSelectionChangeEvent>();
  readonly closedDocuments = new EventEmitter<FakeTextDocument>();

  reset(): void {
    this.configuration.reset();
    this.ui.reset();
    this.commands.clear();
    this.executed.splice(0);
    this.outputChannels.splice(0);
    this.statusBarItems.splice(0);
    this.webviewViewProviders.clear();
    this.inlineProviders.splice(0);
    this.contentProviders.clear();
    this.diagnostics.clear();
    this.documents.splice(0);
    this.extensions.clear();
    this.tabs.splice(0);
    this.contextKeys.clear();
    this.clipboard = '';
    this.activeTextEditor = undefined;
    this.visibleTextEditors = [];
  }

  /** Opens a document in an editor and makes it the active one. */
  openEditor(text: string, options: { languageId?: string; path?: string; selection?: Selection } = {}): FakeTextEditor {
    const document = new FakeTextDocument(Uri.file(options.path ?? `/workspace/file${this.documents.length + 1}.ts`), text, options.languageId ?? 'typescript');
    this.documents.push(document);
    const editor = new FakeTextEditor(document, options.selection);
    editor.selectionChanges.event(() => this.selectionChanges.fire({ textEditor: editor, selections: editor.selections, kind: undefined }));
    this.visibleTextEditors = [...this.visibleTextEditors, editor];
    this.visibleEditorChanges.fire(this.visibleTextEditors);
    this.setActiveEditor(editor);
    return editor;
  }

  setActiveEditor(editor: FakeTextEditor | undefined): void {
    this.activeTextEditor = editor;
    this.activeEditorChanges.fire(editor);
  }

  createExtensionContext(): FakeExtensionContext {
    return new FakeExtensionContext();
  }

  /** Resolves the registered webview view provider with a fresh view, as VS Code does when the view is shown. */
  async resolveWebviewView(viewId: string, cspSource?: string): Promise<FakeWebviewView> {
    const provider = this.webviewViewProviders.get(viewId);
    if (!provider) throw new Error(`no webview view provider registered for ${viewId}`);
    const view = new FakeWebviewView(viewId, cspSource);
    const source = new CancellationTokenSource();
    await provider.resolveWebviewView(view, { state: undefined }, source.token);
    return view;
  }

  get log(): FakeLogOutputChannel {
    const channel = this.outputChannels[0];
    if (!channel) throw new Error('no output channel was created');
    return channel;
  }
}

export const fake = new FakeState();

function register<T>(collection: { delete(key: T): unknown } | T[], key: T): Disposable {
  return new Disposable(() => {
    if (Array.isArray(collection)) collection.splice(collection.indexOf(key), 1);
    else collection.delete(key);
  });
}

export const commands = {
  registerCommand(command: string, handler: CommandHandler): Disposable {
    if (fake.commands.has(command)) throw new Error(`command '${command}' already exists`);
    fake.commands.set(command, handler);
    return new Disposable(() => fake.commands.delete(command));
  },
  async executeCommand(command: string, ...args: unknown[]): Promise<unknown> {
    const handler = fake.commands.get(command);
    if (handler) return handler(...args);
    fake.executed.push({ command, args });
    const [first, second, third] = args;
    // The built-ins the extension relies on, with their visible effect.
    if (command === 'setContext' && typeof first === 'string') fake.contextKeys.set(first, second);
    if (command === 'vscode.diff' && first instanceof Uri && second instanceof Uri) {
      fake.tabs.push({ label: typeof third === 'string' ? third : '', input: new TabInputTextDiff(first, second) });
    }
    return undefined;
  },
  getCommands(): Promise<string[]> {
    return Promise.resolve([...fake.commands.keys()]);
  },
};

export const window = {
  get activeTextEditor(): FakeTextEditor | undefined {
    return fake.activeTextEditor;
  },
  get visibleTextEditors(): readonly FakeTextEditor[] {
    return fake.visibleTextEditors;
  },
  onDidChangeActiveTextEditor: fake.activeEditorChanges.event,
  onDidChangeVisibleTextEditors: fake.visibleEditorChanges.event,
  onDidChangeTextEditorSelection: fake.selectionChanges.event,
  tabGroups: {
    get all(): Array<{ tabs: FakeTab[] }> {
      return [{ tabs: fake.tabs }];
    },
    close(tabs: FakeTab | readonly FakeTab[]): Promise<boolean> {
      for (const tab of Array.isArray(tabs) ? tabs : [tabs]) fake.tabs.splice(fake.tabs.indexOf(tab), 1);
      return Promise.resolve(true);
    },
  },
  createOutputChannel(name: string, options?: { log: true }): FakeLogOutputChannel {
    if (!options?.log) throw new Error('this fake only provides LogOutputChannel');
    const channel = new FakeLogOutputChannel(name);
    fake.outputChannels.push(channel);
    return channel;
  },
  createStatusBarItem(id: string, alignment: StatusBarAlignment, priority?: number): FakeStatusBarItem {
    const item = new FakeStatusBarItem(id, alignment, priority);
    fake.statusBarItems.push(item);
    return item;
  },
  showInformationMessage: (message: string, ...rest: unknown[]) => fake.ui.show('info', message, rest),
  showWarningMessage: (message: string, ...rest: unknown[]) => fake.ui.show('warning', message, rest),
  showErrorMessage: (message: string, ...rest: unknown[]) => fake.ui.show('error', message, rest),
  showInputBox: (options?: vscode.InputBoxOptions) => fake.ui.inputBox(options),
  showQuickPick: <T extends vscode.QuickPickItem | string>(items: readonly T[] | Thenable<readonly T[]>, options?: vscode.QuickPickOptions) =>
    fake.ui.quickPick(items, options),
  withProgress: <R>(
    options: vscode.ProgressOptions,
    task: (progress: vscode.Progress<{ message?: string; increment?: number }>, token: vscode.CancellationToken) => Thenable<R>,
  ) => fake.ui.withProgress(options, task),
  setStatusBarMessage(text: string): Disposable {
    fake.ui.statusMessages.push(text);
    return new Disposable(() => undefined);
  },
  showTextDocument(document: FakeTextDocument): Promise<FakeTextEditor> {
    const editor = fake.visibleTextEditors.find((candidate) => candidate.document === document) ?? new FakeTextEditor(document);
    fake.setActiveEditor(editor);
    return Promise.resolve(editor);
  },
  registerWebviewViewProvider(viewId: string, provider: vscode.WebviewViewProvider): Disposable {
    fake.webviewViewProviders.set(viewId, provider);
    return register(fake.webviewViewProviders, viewId);
  },
};

export const workspace = {
  getConfiguration: (section?: string) => fake.configuration.section(section ?? ''),
  onDidChangeConfiguration: fake.configuration.changes.event,
  onDidCloseTextDocument: fake.closedDocuments.event,
  get textDocuments(): readonly FakeTextDocument[] {
    return fake.documents;
  },
  asRelativePath(pathOrUri: string | Uri): string {
    const path = typeof pathOrUri === 'string' ? pathOrUri : pathOrUri.path;
    return path.startsWith('/workspace/') ? path.slice('/workspace/'.length) : path;
  },
  applyEdit(edit: WorkspaceEdit): Promise<boolean> {
    for (const { uri, range, text } of edit.edits) {
      const document = fake.documents.find((candidate) => candidate.uri.toString() === uri.toString());
      if (!document) return Promise.resolve(false);
      applyEdits(document, [{ range, text }]);
    }
    return Promise.resolve(true);
  },
  registerTextDocumentContentProvider(scheme: string, provider: vscode.TextDocumentContentProvider): Disposable {
    fake.contentProviders.set(scheme, provider);
    return register(fake.contentProviders, scheme);
  },
};

export const languages = {
  registerInlineCompletionItemProvider(_selector: vscode.DocumentSelector, provider: vscode.InlineCompletionItemProvider): Disposable {
    fake.inlineProviders.push(provider);
    return register(fake.inlineProviders, provider);
  },
  getDiagnostics(uri: Uri): Diagnostic[] {
    return fake.diagnostics.get(uri.toString()) ?? [];
  },
};

export const env = {
  clipboard: {
    readText: () => Promise.resolve(fake.clipboard),
    writeText: (value: string) => {
      fake.clipboard = value;
      return Promise.resolve();
    },
  },
};

export const extensions = {
  getExtension: (id: string) => fake.extensions.get(id),
};

export { FakeTextDocument, FakeTextEditor, FakeWebviewView };
