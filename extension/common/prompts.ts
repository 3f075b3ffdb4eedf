/**
 * Every prompt the extension sends, as pure functions of the code the user picked. Context that had to
 * be cut is always announced in the prompt itself, so the model (and a reader of the logs) never takes
 * a partial file for the whole one.
 */

export interface CodeSelection {
  /** Workspace-relative path (or file name) for the model's orientation. */
  path: string;
  languageId: string;
  /** 1-based, inclusive. */
  startLine: number;
  endLine: number;
  text: string;
}

export interface FileContext {
  path: string;
  languageId: string;
  text: string;
  /** 1-based line to keep in view when the file has to be cut (cursor or selection start). */
  focusLine?: number;
}

export interface PromptMessage {
  role: 'system' | 'user';
  content: string;
}

export type EditKind = 'fix' | 'docs' | 'refactor';

/** Characters of a file sent as chat context; about 6k tokens of code. */
export const FILE_CONTEXT_BUDGET = 24_000;
/** Characters of a selection sent with a question or command. */
export const SELECTION_BUDGET = 40_000;
/** Characters of a staged diff sent for a commit message. */
export const DIFF_BUDGET = 30_000;
/** Estimate for sizing a prompt to `num_ctx` when no tokenizer is at hand. */
const CHARS_PER_TOKEN_ESTIMATE = 4;
/** Share of the window an edit's input may use: the full replacement comes back and needs as much again. */
const EDIT_INPUT_SHARE = 0.4;
/** Share of the window a diff may use: a commit message is short. */
const DIFF_SHARE = 0.6;

/** Characters of selected code an edit (Fix, Add Docs, Refactor) may send to a model with `numCtx`. */
export function editInputBudget(numCtx: number): number {
  return Math.floor(numCtx * EDIT_INPUT_SHARE * CHARS_PER_TOKEN_ESTIMATE);
}

/** Characters of staged diff a commit message request may send to a model with `numCtx`. */
export function diffBudget(numCtx: number): number {
  return Math.min(DIFF_BUDGET, Math.floor(numCtx * DIFF_SHARE * CHARS_PER_TOKEN_ESTIMATE));
}

/** An edit whose input would not leave room for its answer: refused rather than cut, since a cut edit would delete code. */
export class PromptTooLargeError extends Error {
  override readonly name = 'PromptTooLargeError';
}

export function selectionTooLarge(numCtx: number): PromptTooLargeError {
  return new PromptTooLargeError(`The selection is too large for the model's context (${numCtx} tokens); select less or raise aide.contextLength`);
}

export const CHAT_SYSTEM_PROMPT = [
  'You are a senior software engineer helping inside the code editor.',
  'Answer precisely and briefly. Use Markdown. Put code in fenced code blocks with a language tag.',
  'When you change code, show the complete changed code, not a diff, unless asked otherwise.',
].join(' ');

/** A Markdown fence longer than any run of backticks inside `text`, so the code cannot close it early. */
export function fenceFor(text: string): string {
  const longest = Math.max(0, ...Array.from(text.matchAll(/`+/g), (match) => match[0].length));
  return '`'.repeat(Math.max(3, longest + 1));
}

export function fenced(text: string, languageId: string): string {
  const fence = fenceFor(text);
  return `${fence}${languageId}\n${text}${text.endsWith('\n') ? '' : '\n'}${fence}`;
}

/** Describes the selection with its place in the file; cut (and said so) beyond `budget` characters. */
export function selectionBlock(selection: CodeSelection, budget = SELECTION_BUDGET): string {
  const where = `Selected code from \`${selection.path}\` (lines ${selection.startLine}–${selection.endLine}, ${selection.languageId}):`;
  if (selection.text.length <= budget) return `${where}\n${fenced(selection.text, selection.languageId)}`;
  const kept = selection.text.slice(0, budget);
  return `${where}\n${fenced(kept, selection.languageId)}\n(The selection is truncated: only its first ${budget} of ${selection.text.length} characters are shown.)`;
}

/**
 * The current file, whole when it fits, else a window of whole lines around `focusLine`, with a note
 * naming the lines shown.
 */
export function fileBlock(file: FileContext, budget = FILE_CONTEXT_BUDGET): string {
  const header = `Current file \`${file.path}\` (${file.languageId}):`;
  if (file.text.length <= budget) return `${header}\n${fenced(file.text, file.languageId)}`;
  const lines = file.text.split('\n');
  const focus = Math.min(Math.max((file.focusLine ?? 1) - 1, 0), lines.length - 1);
  let first = focus;
  let last = focus;
  let size = lines[focus]?.length ?? 0;
  // Grow the window one line at a time on alternating sides until the budget is spent.
  for (let grew = true; grew; ) {
    grew = false;
    if (last + 1 < lines.length && size + (lines[last + 1]?.length ?? 0) + 1 <= budget) {
      last += 1;
      size += (lines[last]?.length ?? 0) + 1;
      grew = true;
    }
    if (first > 0 && size + (lines[first - 1]?.length ?? 0) + 1 <= budget) {
      first -= 1;
      size += (lines[first]?.length ?? 0) + 1;
      grew = true;
    }
  }
  const shown = lines.slice(first, last + 1).join('\n').slice(0, budget);
  return `${header}\n${fenced(shown, file.languageId)}\n(The file is truncated: showing lines ${first + 1}–${last + 1} of ${lines.length}.)`;
}

/** Characters of context a prompt may carry, sized to the model's context window. */
export interface ContextBudget {
  file: number;
  selection: number;
}

export const DEFAULT_BUDGET: ContextBudget = { file: FILE_CONTEXT_BUDGET, selection: SELECTION_BUDGET };

/** About three characters per token for code; the file and selection get at most 40% and 30% of the window. */
export function contextBudget(numCtx: number): ContextBudget {
  const chars = numCtx * 3;
  return { file: Math.min(FILE_CONTEXT_BUDGET, Math.floor(chars * 0.4)), selection: Math.min(SELECTION_BUDGET, Math.floor(chars * 0.3)) };
}

/** The user message of a chat turn: attached context first, then the question. */
export function chatUserMessage(
  question: string,
  context: { selection?: CodeSelection | undefined; file?: FileContext | undefined },
  budget: ContextBudget = DEFAULT_BUDGET,
): string {
  const parts: string[] = [];
  if (context.file) parts.push(fileBlock(context.file, budget.file));
  if (context.selection) parts.push(selectionBlock(context.selection, budget.selection));
  if (parts.length === 0) return question;
  return `${parts.join('\n\n')}\n\n${question}`;
}

export function explainPrompt(selection: CodeSelection, budget: ContextBudget = DEFAULT_BUDGET): string {
  return `${selectionBlock(selection, budget.selection)}\n\nExplain what this code does: its purpose, how it works step by step, and anything surprising, risky or worth improving. Be concise.`;
}

export function writeTestsPrompt(selection: CodeSelection, file: FileContext | undefined, budget: ContextBudget = DEFAULT_BUDGET): string {
  const context = file ? `${fileBlock(file, budget.file)}\n\n` : '';
  return (
    `${context}${selectionBlock(selection, budget.selection)}\n\n` +
    'Write unit tests for the selected code. Use the test framework and style this project most likely uses ' +
    `(judge from the file and the language, ${selection.languageId}). Cover normal cases, edge cases and failures. ` +
    'Return the complete test file in one fenced code block, then one short paragraph on what is covered.'
  );
}

const EDIT_INSTRUCTIONS: Record<EditKind, string> = {
  fix: 'Fix the bugs in the selected code. Keep its behaviour otherwise unchanged and keep its public names.',
  docs: 'Add documentation comments to the selected code in the idiomatic style of the language (e.g. JSDoc, docstrings). Do not change the code itself.',
  refactor: 'Refactor the selected code for clarity and maintainability without changing its behaviour or its public interface.',
};

/**
 * Asks for a drop-in replacement of the selection. The answer must be one fenced block holding the full
 * replacement, which `extractProposal` takes out.
 */
export function editPrompt(kind: EditKind, selection: CodeSelection, problems: readonly string[] = [], numCtx?: number): PromptMessage[] {
  if (numCtx !== undefined && selection.text.length > editInputBudget(numCtx)) throw selectionTooLarge(numCtx);
  const problemText = problems.length ? `\n\nProblems the editor reports in this code:\n${problems.map((p) => `- ${p}`).join('\n')}` : '';
  return [
    {
      role: 'system',
      content:
        'You edit code. Reply with exactly one fenced code block that contains the complete replacement for the selected code, ' +
        'with the same indentation as the original, and nothing else: no explanation, no diff, no omitted parts.',
    },
    { role: 'user', content: `${selectionBlock(selection, Number.POSITIVE_INFINITY)}${problemText}\n\n${EDIT_INSTRUCTIONS[kind]}` },
  ];
}

export function commitMessagePrompt(stagedDiff: string, budget = DIFF_BUDGET): PromptMessage[] {
  const cut = stagedDiff.length > budget;
  const diff = cut ? stagedDiff.slice(0, budget) : stagedDiff;
  const note = cut ? `\n(The diff is truncated to fit the context window: only its first ${budget} of ${stagedDiff.length} characters are shown; describe the change from what is shown and the file names.)` : '';
  return [
    {
      role: 'system',
      content:
        'You write git commit messages. Reply with the message only: a summary line in the imperative mood of at most 72 characters, ' +
        'then, if the change needs it, a blank line and a short body wrapped at 72 characters explaining what and why. No code fences, no quotes.',
    },
    { role: 'user', content: `Write the commit message for this staged diff:\n${fenced(diff, 'diff')}${note}` },
  ];
}

/** Strips wrapping a model sometimes adds around a commit message (fences, quotes, a "Commit message:" label). */
export function cleanCommitMessage(text: string): string {
  let message = text.trim();
  const fencedMatch = /^(`{3,}|~{3,})[^\n]*\n([\s\S]*?)\n\1\s*$/.exec(message);
  if (fencedMatch?.[2] !== undefined) message = fencedMatch[2].trim();
  message = message.replace(/^(commit message|message)\s*:\s*/i, '');
  if (/^(["'])[\s\S]*\1$/.test(message)) message = message.slice(1, -1).trim();
  return message;
}
