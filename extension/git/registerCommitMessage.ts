/**
 * AIDE: Generate Commit Message — the staged diff of the right repository goes to the model, and the
 * answer is written into the Source Control input box for the user to review and commit.
 */
import * as vscode from 'vscode';
import { generateWithProgress, showError } from '../actions/generate';
import { COMMANDS } from '../common/ids';
import { cleanCommitMessage, commitMessagePrompt, diffBudget } from '../common/prompts';
import type { Services } from '../services/services';
import { gitApi, GitUnavailableError, type GitRepository } from './gitApi';

export function registerCommitMessage(context: vscode.ExtensionContext, services: Services): void {
  context.subscriptions.push(
    vscode.commands.registerCommand(COMMANDS.generateCommitMessage, (source?: unknown) => generateCommitMessage(services, source)),
  );
}

async function generateCommitMessage(services: Services, source: unknown): Promise<void> {
  let repository: GitRepository | undefined;
  try {
    repository = await pickRepository(source);
  } catch (error) {
    if (!(error instanceof GitUnavailableError)) throw error;
    void showError(`cannot write a commit message: ${error.message}`);
    return;
  }
  if (!repository) return;
  let diff: string;
  try {
    diff = await repository.diff(true);
  } catch (error) {
    services.log.error(`Generate commit message: git diff --cached failed: ${error instanceof Error ? error.message : String(error)}`);
    void showError('could not read the staged changes from Git.');
    return;
  }
  if (!diff.trim()) {
    void showError('nothing is staged in this repository — stage the changes to describe first.');
    return;
  }
  const answer = await generateWithProgress(services, 'AIDE: writing the commit message', (numCtx) => commitMessagePrompt(diff, diffBudget(numCtx)));
  if (!answer) return;
  if (diff.length > diffBudget(answer.numCtx)) services.log.info(`Generate commit message: the staged diff (${diff.length} characters) was cut to ${diffBudget(answer.numCtx)} to fit the context window`);
  const message = cleanCommitMessage(answer.text);
  if (!message) {
    void showError(`${answer.model} returned an empty commit message; try again.`);
    return;
  }
  repository.inputBox.value = message;
  if (answer.doneReason === 'length') void vscode.window.showWarningMessage('AIDE: the commit message was cut off at the token limit; check it before committing.');
  await vscode.commands.executeCommand('workbench.view.scm');
}

/**
 * The repository the command was run for: the one whose Source Control title bar was clicked, else the
 * one holding the active file, else the only one, else the user's choice. Undefined if they cancel.
 */
async function pickRepository(source: unknown): Promise<GitRepository | undefined> {
  const { repositories } = await gitApi();
  if (repositories.length === 0) throw new GitUnavailableError('no Git repository is open in this window');
  const sourceRoot = rootUriOf(source);
  const activeFile = vscode.window.activeTextEditor?.document.uri;
  const byRoot = (uri: vscode.Uri | undefined): GitRepository | undefined =>
    uri
      ? repositories
          .filter((repo) => uri.toString() === repo.rootUri.toString() || uri.toString().startsWith(`${repo.rootUri.toString()}/`))
          .sort((a, b) => b.rootUri.toString().length - a.rootUri.toString().length)[0]
      : undefined;
  const direct = byRoot(sourceRoot) ?? byRoot(activeFile) ?? (repositories.length === 1 ? repositories[0] : undefined);
  if (direct) return direct;
  const picked = await vscode.window.showQuickPick(
    repositories.map((repo) => ({ label: vscode.workspace.asRelativePath(repo.rootUri, true), repo })),
    { title: 'AIDE: Generate Commit Message', placeHolder: 'Which repository?' },
  );
  return picked?.repo;
}

/** The SCM title bar passes the `SourceControl`, whose `rootUri` names the repository. */
function rootUriOf(source: unknown): vscode.Uri | undefined {
  if (typeof source !== 'object' || source === null || !('rootUri' in source)) return undefined;
  return source.rootUri instanceof vscode.Uri ? source.rootUri : undefined;
}
