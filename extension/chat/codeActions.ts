/**
 * The buttons on a code block in the chat: Copy, Insert at cursor, Apply to selection. Insert and Apply
 * act on the last text editor the user worked in (focus is in the chat view when they click).
 */
import * as vscode from 'vscode';
import type { EditorContext } from '../editor/editorContext';
import type { CodeActions } from './chatController';

export function createCodeActions(editors: EditorContext): CodeActions {
  return {
    async copy(code) {
      await vscode.env.clipboard.writeText(code);
      vscode.window.setStatusBarMessage('AIDE: code copied to the clipboard', 2500);
    },
    insert: (code) => editInLastEditor(editors, code, 'insert'),
    apply: (code) => editInLastEditor(editors, code, 'replace'),
  };
}

async function editInLastEditor(editors: EditorContext, code: string, mode: 'insert' | 'replace'): Promise<void> {
  const editor = editors.editor;
  if (!editor) {
    void vscode.window.showWarningMessage('AIDE: open a file and place the cursor where the code should go.');
    return;
  }
  const selection = editor.selection;
  // "Apply" replaces the selection; with nothing selected both actions insert at the cursor.
  const range = mode === 'replace' ? new vscode.Range(selection.start, selection.end) : new vscode.Range(selection.active, selection.active);
  const edit = new vscode.WorkspaceEdit();
  edit.replace(editor.document.uri, range, code);
  if (!(await vscode.workspace.applyEdit(edit))) {
    void vscode.window.showWarningMessage(`AIDE: could not edit ${editor.document.fileName} (is it read-only?)`);
    return;
  }
  await vscode.window.showTextDocument(editor.document, { viewColumn: editor.viewColumn, preserveFocus: false });
}
