/**
 * Ghost-text completions: a thin adapter from VS Code's InlineCompletionItemProvider to the pure
 * completion engine. It decides only whether to ask at all (paused, language off, a selection in the
 * way), bridges cancellation, and turns the engine's text into one item inserted at the cursor.
 */
import * as vscode from 'vscode';
import { abortSignalFromToken } from '../common/cancellation';
import type { CompletionRequest, CompletionResult } from '../common/completion/engine';
import { INTERNAL_COMMANDS } from '../common/ids';
import { isLanguageEnabled, type CompletionConfig } from '../common/settings';

export interface CompletionSource {
  complete(request: CompletionRequest): Promise<CompletionResult | undefined>;
}

export interface InlineProviderDeps {
  engine: CompletionSource;
  settings(): CompletionConfig;
  /** The last completion shown, for the status bar. */
  onResult?(result: CompletionResult): void;
}

/**
 * The engine trims to its token windows; this only avoids copying a huge document into a string on every
 * keystroke. Generous: 16 characters per configured token.
 */
const CHARS_PER_TOKEN_CAP = 16;
/**
 * The prefix starts on a block boundary, not at a fixed distance from the cursor: typed-through reuse and
 * the cache compare the text before the cursor, which must only grow while the user types on, so its start
 * may move only when the cursor crosses into the next block.
 */
const PREFIX_BLOCK_CHARS = 4096;

export class AideInlineCompletionProvider implements vscode.InlineCompletionItemProvider {
  constructor(private readonly deps: InlineProviderDeps) {}

  async provideInlineCompletionItems(
    document: vscode.TextDocument,
    position: vscode.Position,
    _context: vscode.InlineCompletionContext,
    token: vscode.CancellationToken,
  ): Promise<vscode.InlineCompletionItem[] | undefined> {
    const settings = this.deps.settings();
    if (!settings.enabled || !isLanguageEnabled(settings.languages, document.languageId)) return undefined;
    if (hasSelection(document)) return undefined;

    const prefixStart = stablePrefixStart(document, position, settings.prefixTokens * CHARS_PER_TOKEN_CAP);
    const suffixEnd = document.positionAt(document.offsetAt(position) + settings.suffixTokens * CHARS_PER_TOKEN_CAP);
    const bridge = abortSignalFromToken(token);
    try {
      const result = await this.deps.engine.complete({
        documentKey: document.uri.toString(),
        languageId: document.languageId,
        prefix: document.getText(new vscode.Range(prefixStart, position)),
        suffix: document.getText(new vscode.Range(position, suffixEnd)),
        signal: bridge.signal,
      });
      if (!result || !result.text || token.isCancellationRequested) return undefined;
      this.deps.onResult?.(result);
      const item = new vscode.InlineCompletionItem(result.text, new vscode.Range(position, position));
      item.command = { command: INTERNAL_COMMANDS.completionAccepted, title: 'Completion accepted' };
      return [item];
    } finally {
      bridge.dispose();
    }
  }
}

/** A selection in the document's editor means the user is about to replace it, not to type on. */
function hasSelection(document: vscode.TextDocument): boolean {
  const editor = vscode.window.activeTextEditor;
  return editor?.document === document && editor.selections.some((selection) => !selection.isEmpty);
}

/**
 * At least `minChars` before the cursor, starting at a multiple of PREFIX_BLOCK_CHARS moved on to the next
 * line start, so the start stays put while the user types within a block (and is never half a line).
 */
export function stablePrefixStart(document: vscode.TextDocument, position: vscode.Position, minChars: number): vscode.Position {
  const cursor = document.offsetAt(position);
  if (cursor <= minChars) return new vscode.Position(0, 0);
  const blockStart = Math.floor((cursor - minChars) / PREFIX_BLOCK_CHARS) * PREFIX_BLOCK_CHARS;
  const start = document.positionAt(blockStart);
  return start.character > 0 && start.line < position.line ? new vscode.Position(start.line + 1, 0) : start;
}
