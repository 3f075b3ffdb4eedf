/**
 * Proposed edits (Fix, Add Docs, Refactor) shown as a diff before anything changes. The proposal is a
 * read-only in-memory document (`aide-proposal:` scheme) holding the whole file with the selection
 * replaced, so the diff shows the change in place. Apply writes the new code over the selection only if
 * the document has not changed since the proposal was made; Discard just closes the diff.
 */
import * as vscode from 'vscode';
import { PROPOSAL_CONTEXT_KEY, PROPOSAL_SCHEME } from '../common/ids';
import { Disposable } from '../common/lifecycle';

export interface Proposal {
  document: vscode.TextDocument;
  /** The document version the proposal was computed against. */
  version: number;
  range: vscode.Range;
  replacement: string;
  /** e.g. "Fix", "Add Docs". */
  title: string;
}

export type ApplyOutcome = 'applied' | 'stale' | 'failed' | 'none';

export class ProposalDocuments extends Disposable implements vscode.TextDocumentContentProvider {
  private readonly contents = new Map<string, string>();
  private readonly changed = this._register(new vscode.EventEmitter<vscode.Uri>());
  readonly onDidChange = this.changed.event;

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.contents.get(uri.toString()) ?? '';
  }

  set(uri: vscode.Uri, content: string): void {
    this.contents.set(uri.toString(), content);
    this.changed.fire(uri);
  }

  delete(uri: vscode.Uri): void {
    this.contents.delete(uri.toString());
  }
}

export class Proposals extends Disposable {
  private readonly documents = this._register(new ProposalDocuments());
  private pending: { proposal: Proposal; uri: vscode.Uri } | undefined;
  private sequence = 0;

  constructor() {
    super();
    this._register(vscode.workspace.registerTextDocumentContentProvider(PROPOSAL_SCHEME, this.documents));
  }

  get current(): Proposal | undefined {
    return this.pending?.proposal;
  }

  /** Opens the diff for `proposal` (replacing any earlier one) and asks, without a modal, whether to apply it. */
  async show(proposal: Proposal): Promise<ApplyOutcome> {
    await this.discard();
    const { document, range, replacement } = proposal;
    const text = document.getText();
    const proposed = text.slice(0, document.offsetAt(range.start)) + replacement + text.slice(document.offsetAt(range.end));
    this.sequence += 1;
    // The path keeps the file name (and so its language) in the diff title; the query keeps each proposal distinct.
    const uri = vscode.Uri.from({ scheme: PROPOSAL_SCHEME, path: document.uri.path, query: `proposal=${this.sequence}` });
    this.documents.set(uri, proposed);
    this.pending = { proposal, uri };
    await vscode.commands.executeCommand('setContext', PROPOSAL_CONTEXT_KEY, true);
    const name = document.uri.path.slice(document.uri.path.lastIndexOf('/') + 1);
    await vscode.commands.executeCommand('vscode.diff', document.uri, uri, `${name} ↔ AIDE: ${proposal.title} (proposal)`, { preview: true });
    const choice = await vscode.window.showInformationMessage(`AIDE: ${proposal.title} — apply the proposed change to ${name}?`, 'Apply', 'Discard');
    // The same proposal may have been applied or replaced from the diff's title bar meanwhile.
    if (this.pending?.uri.toString() !== uri.toString()) return 'none';
    if (choice === 'Apply') return this.apply();
    if (choice === 'Discard') await this.discard();
    return 'none';
  }

  /** Applies the pending proposal if its document is unchanged since. */
  async apply(): Promise<ApplyOutcome> {
    const pending = this.pending;
    if (!pending) return 'none';
    const { document, version, range, replacement } = pending.proposal;
    if (document.isClosed || document.version !== version) {
      await this.discard();
      void vscode.window.showWarningMessage('AIDE: the file changed after the proposal was made, so it was not applied. Run the command again.');
      return 'stale';
    }
    const edit = new vscode.WorkspaceEdit();
    edit.replace(document.uri, range, replacement);
    const applied = await vscode.workspace.applyEdit(edit);
    await this.discard();
    if (!applied) {
      void vscode.window.showWarningMessage('AIDE: the change could not be applied (is the file read-only?).');
      return 'failed';
    }
    await vscode.window.showTextDocument(document, { preview: false });
    return 'applied';
  }

  /** Closes the diff and forgets the pending proposal. */
  async discard(): Promise<void> {
    const pending = this.pending;
    if (!pending) return;
    this.pending = undefined;
    await vscode.commands.executeCommand('setContext', PROPOSAL_CONTEXT_KEY, false);
    const tabs = vscode.window.tabGroups.all
      .flatMap((group) => group.tabs)
      .filter((tab) => tab.input instanceof vscode.TabInputTextDiff && tab.input.modified.toString() === pending.uri.toString());
    if (tabs.length) await vscode.window.tabGroups.close(tabs);
    this.documents.delete(pending.uri);
  }
}
