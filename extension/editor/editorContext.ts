/**
 * The code the user is looking at: the last active text editor (the chat view takes focus away from it,
 * so "active" alone would be undefined whenever the user types in the chat), its selection and its file,
 * and a debounced event when any of it changes, which drives the chat's context chips.
 */
import * as vscode from 'vscode';
import { PROPOSAL_SCHEME } from '../common/ids';
import { Disposable } from '../common/lifecycle';
import type { CodeSelection, FileContext } from '../common/prompts';
import type { ContextInfo } from '../common/protocol';

/** Documents that are not the user's code: panels, the SCM input, our own proposals. */
const IGNORED_SCHEMES = new Set(['output', 'debug', 'vscode-scm', 'comment', PROPOSAL_SCHEME]);
const CHANGE_DEBOUNCE_MS = 150;

export class EditorContext extends Disposable {
  private last: vscode.TextEditor | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly changed = this._register(new vscode.EventEmitter<ContextInfo>());
  /** Fires (debounced) when the editor, its selection or its file changes. */
  readonly onDidChange = this.changed.event;

  constructor() {
    super();
    this.track(vscode.window.activeTextEditor);
    this._register(vscode.window.onDidChangeActiveTextEditor((editor) => this.track(editor)));
    this._register(
      vscode.window.onDidChangeTextEditorSelection((event) => {
        if (event.textEditor === this.last) this.scheduleChange();
      }),
    );
    // A closed tab leaves the visible editors; its document may stay open in memory for a while.
    this._register(
      vscode.window.onDidChangeVisibleTextEditors((editors) => {
        if (this.last && !editors.includes(this.last)) {
          this.last = undefined;
          this.scheduleChange();
        }
      }),
    );
    this._register({ dispose: () => clearTimeout(this.timer) });
  }

  /** The last text editor the user worked in, if its document is still open. */
  get editor(): vscode.TextEditor | undefined {
    return this.last && !this.last.document.isClosed ? this.last : undefined;
  }

  /** What the chips show. */
  info(): ContextInfo {
    const editor = this.editor;
    if (!editor) return {};
    const info: ContextInfo = { file: { name: fileName(editor.document), languageId: editor.document.languageId } };
    const selection = editor.selection;
    if (!selection.isEmpty) {
      info.selection = { file: fileName(editor.document), startLine: selection.start.line + 1, endLine: lastLine(selection) + 1 };
    }
    return info;
  }

  /** The selected text with its place in the file, or undefined when nothing is selected. */
  selection(editor = this.editor): CodeSelection | undefined {
    if (!editor || editor.selection.isEmpty) return undefined;
    return codeSelection(editor.document, editor.selection);
  }

  file(editor = this.editor): FileContext | undefined {
    if (!editor) return undefined;
    const document = editor.document;
    return {
      path: vscode.workspace.asRelativePath(document.uri),
      languageId: document.languageId,
      text: document.getText(),
      focusLine: editor.selection.active.line + 1,
    };
  }

  private track(editor: vscode.TextEditor | undefined): void {
    if (!editor || IGNORED_SCHEMES.has(editor.document.uri.scheme)) return;
    this.last = editor;
    this.scheduleChange();
  }

  private scheduleChange(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.changed.fire(this.info()), CHANGE_DEBOUNCE_MS);
  }
}

export function codeSelection(document: vscode.TextDocument, range: vscode.Range): CodeSelection {
  return {
    path: vscode.workspace.asRelativePath(document.uri),
    languageId: document.languageId,
    startLine: range.start.line + 1,
    endLine: lastLine(range) + 1,
    text: document.getText(range),
  };
}

/** A selection ending at column 0 of a line does not include that line. */
export function lastLine(range: vscode.Range): number {
  return range.end.character === 0 && range.end.line > range.start.line ? range.end.line - 1 : range.end.line;
}

function fileName(document: vscode.TextDocument): string {
  const path = document.uri.path;
  return path.slice(path.lastIndexOf('/') + 1) || document.fileName;
}
