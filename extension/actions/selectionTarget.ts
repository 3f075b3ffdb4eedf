/** The code a selection command works on: the active editor's selection, checked and described. */
import * as vscode from 'vscode';
import type { CodeSelection } from '../common/prompts';
import { codeSelection, type EditorContext } from '../editor/editorContext';

export interface SelectionTarget {
  editor: vscode.TextEditor;
  /** The range the command reads (and, for edits, replaces). */
  range: vscode.Range;
  selection: CodeSelection;
}

/** The selection in the active (or last active) editor; tells the user and returns undefined when there is none. */
export function selectionTarget(editors: EditorContext, wholeLines: boolean): SelectionTarget | undefined {
  const editor = vscode.window.activeTextEditor ?? editors.editor;
  if (!editor || editor.selection.isEmpty || editor.document.getText(editor.selection).trim() === '') {
    void vscode.window.showInformationMessage('AIDE: select some code first.');
    return undefined;
  }
  const range = wholeLines ? wholeLinesOf(editor.document, editor.selection) : new vscode.Range(editor.selection.start, editor.selection.end);
  return { editor, range, selection: codeSelection(editor.document, range) };
}

/**
 * Edits replace whole lines, so the model sees the indentation it must keep and its answer can be
 * dropped in as is. A selection that ends at column 0 ends with the previous line's line break.
 */
export function wholeLinesOf(document: vscode.TextDocument, selection: vscode.Range): vscode.Range {
  const start = new vscode.Position(selection.start.line, 0);
  if (selection.end.character === 0 && selection.end.line > selection.start.line) return new vscode.Range(start, selection.end);
  return new vscode.Range(start, document.lineAt(selection.end.line).range.end);
}
