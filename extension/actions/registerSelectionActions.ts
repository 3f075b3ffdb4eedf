/**
 * The selection commands. Explain and Write Tests answer in the chat view; Fix, Add Docs and Refactor
 * ask for a full replacement of the selected lines and show it as a diff with Apply / Discard.
 */
import * as vscode from 'vscode';
import type { ChatController } from '../chat/chatController';
import { COMMANDS, FOCUS_CHAT_VIEW_COMMAND, INTERNAL_COMMANDS } from '../common/ids';
import { editPrompt, explainPrompt, SELECTION_BUDGET, writeTestsPrompt, type EditKind } from '../common/prompts';
import { extractProposal, fitProposal } from '../common/proposal';
import type { Services } from '../services/services';
import { generateWithProgress, showError } from './generate';
import { Proposals } from './proposals';
import { selectionTarget } from './selectionTarget';

const EDIT_TITLES: Record<EditKind, { title: string; progress: string }> = {
  fix: { title: 'Fix', progress: 'AIDE: fixing the selection' },
  docs: { title: 'Add Docs', progress: 'AIDE: documenting the selection' },
  refactor: { title: 'Refactor', progress: 'AIDE: refactoring the selection' },
};

export function registerSelectionActions(context: vscode.ExtensionContext, services: Services, chat: ChatController): void {
  const proposals = new Proposals();
  context.subscriptions.push(
    proposals,
    vscode.commands.registerCommand(COMMANDS.explainSelection, () => askInChat(services, chat, 'Explain selection', false)),
    vscode.commands.registerCommand(COMMANDS.writeTests, () => askInChat(services, chat, 'Write tests', true)),
    vscode.commands.registerCommand(COMMANDS.fixSelection, () => proposeEdit(services, proposals, 'fix')),
    vscode.commands.registerCommand(COMMANDS.addDocs, () => proposeEdit(services, proposals, 'docs')),
    vscode.commands.registerCommand(COMMANDS.refactorSelection, () => proposeEdit(services, proposals, 'refactor')),
    vscode.commands.registerCommand(INTERNAL_COMMANDS.applyProposal, () => proposals.apply()),
    vscode.commands.registerCommand(INTERNAL_COMMANDS.discardProposal, () => proposals.discard()),
  );
}

async function askInChat(services: Services, chat: ChatController, label: 'Explain selection' | 'Write tests', withFile: boolean): Promise<void> {
  const target = selectionTarget(services.editors, false);
  if (!target) return;
  const { selection } = target;
  const file = withFile ? services.editors.file(target.editor) : undefined;
  await vscode.commands.executeCommand(FOCUS_CHAT_VIEW_COMMAND);
  // Not awaited: the answer streams into the view while the command returns.
  void chat.ask({
    label,
    display: `${label}: ${selection.path} lines ${selection.startLine}–${selection.endLine}`,
    build: (budget) => (withFile ? writeTestsPrompt(selection, file, budget) : explainPrompt(selection, budget)),
  });
}

async function proposeEdit(services: Services, proposals: Proposals, kind: EditKind): Promise<void> {
  const target = selectionTarget(services.editors, true);
  if (!target) return;
  const { editor, range, selection } = target;
  if (selection.text.length > SELECTION_BUDGET) {
    void vscode.window.showWarningMessage(`AIDE: the selection is too large for ${EDIT_TITLES[kind].title} (over ${SELECTION_BUDGET} characters); select less.`);
    return;
  }
  const document = editor.document;
  const version = document.version;
  const problems = kind === 'fix' ? problemsIn(document, range) : [];
  const answer = await generateWithProgress(services, EDIT_TITLES[kind].progress, (numCtx) => editPrompt(kind, selection, problems, numCtx));
  if (!answer) return;
  const code = extractProposal(answer.text);
  if (code === undefined) {
    services.log.warn(`${EDIT_TITLES[kind].title}: the answer of ${answer.model} had no complete code block (done_reason ${answer.doneReason ?? 'unknown'}):\n${answer.text}`);
    void showError(answer.doneReason === 'length' ? 'the answer was cut off before the code was complete' : `${answer.model} did not answer with a code block; try again or pick another model`);
    return;
  }
  const replacement = fitProposal(selection.text, code);
  if (replacement === selection.text) {
    void vscode.window.showInformationMessage(`AIDE: ${EDIT_TITLES[kind].title} proposes no change.`);
    return;
  }
  void proposals.show({ document, version, range, replacement, title: EDIT_TITLES[kind].title });
}

/** The editor's diagnostics inside the range, as "line N: message" for the Fix prompt. */
function problemsIn(document: vscode.TextDocument, range: vscode.Range): string[] {
  return vscode.languages
    .getDiagnostics(document.uri)
    .filter((diagnostic) => diagnostic.range.intersection(range) !== undefined && diagnostic.severity <= vscode.DiagnosticSeverity.Warning)
    .slice(0, 20)
    .map((diagnostic) => `line ${diagnostic.range.start.line + 1}: ${diagnostic.message.split('\n')[0] ?? ''}`);
}
