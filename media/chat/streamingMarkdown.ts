/**
 * Renders a growing markdown answer into one element, re-rendering only its last block.
 *
 * Once a new top-level block has begun, every block before it is final: later text cannot reopen it.
 * Those blocks are rendered once and left alone; each update parses and renders only the text from the
 * last block on. A 10 000-token answer therefore costs about as much per frame as its last paragraph or
 * code block, not as the whole answer, and finished blocks keep their nodes (a selection or a click on a
 * code-block button is not lost).
 *
 * A code block can itself be long (a whole file). While it streams, new code is appended to it as plain
 * text, and the block is re-highlighted only once ten times the cost of its last full render has passed,
 * so highlighting takes about a tenth of the main thread however long the block grows. The finished
 * block is always rendered whole.
 *
 * Reference-style links (`[text][1]` … `[1]: url`) are the exception to "final": a definition can come
 * after its use. An answer that defines any is rendered whole once more when it is complete.
 */
import { decorateCodeBlocks } from './codeBlocks';
import { patchChildrenFrom } from './dom';
import { blockCode, parseMarkdown, renderTokens, type MarkdownEnv, type MarkdownTokens } from './markdown';

/** The streaming code block that is the last node of the container. */
interface OpenCodeBlock {
  info: string;
  code: string;
  element: HTMLElement;
  renderedAt: number;
  renderCost: number;
}

export class StreamingMarkdown {
  /** Normalised text rendered so far. */
  private source = '';
  /** Length of the prefix of `source` whose blocks are final and rendered. */
  private finalLength = 0;
  /** Children of the container that render that prefix; the rest render the open block. */
  private finalNodes = 0;
  private hasReferences = false;
  private openCode: OpenCodeBlock | undefined;

  constructor(private readonly container: HTMLElement) {}

  /** Brings the container up to `markdown`, which usually extends the previous text. */
  update(markdown: string): void {
    this.render(markdown, false);
  }

  /** Renders the complete answer; call once when it has ended. */
  finish(markdown: string): void {
    this.render(markdown, true);
  }

  private render(markdown: string, final: boolean): void {
    const text = normaliseNewlines(markdown);
    if (!text.startsWith(this.source.slice(0, this.finalLength))) this.reset();
    this.source = text;

    const open = text.slice(this.finalLength);
    const env: MarkdownEnv = {};
    const tokens = parseMarkdown(open, env);
    if (env.references && Object.keys(env.references).length > 0) this.hasReferences = true;
    if (final && this.hasReferences && this.finalLength > 0) {
      // Blocks rendered before a definition arrived may use it: render the whole answer again, once.
      this.reset();
      this.render(markdown, true);
      return;
    }

    const lastBlock = lastTopLevelBlock(tokens);
    const lastLine = lastBlock === undefined ? undefined : tokens[lastBlock]?.map?.[0];
    let openTokens = tokens;
    if (lastBlock !== undefined && lastBlock > 0 && lastLine !== undefined) {
      const finished = this.fragment(tokens.slice(0, lastBlock), env);
      const count = finished.childNodes.length;
      patchChildrenFrom(this.container, this.finalNodes, finished);
      this.finalNodes += count;
      this.finalLength += offsetOfLine(open, lastLine);
      this.openCode = undefined;
      openTokens = tokens.slice(lastBlock);
    }

    const fence = openTokens.length === 1 && openTokens[0]?.type === 'fence' ? openTokens[0] : undefined;
    if (!final && fence && this.appendToOpenCode(fence.info, blockCode(fence.content))) return;

    const started = performance.now();
    patchChildrenFrom(this.container, this.finalNodes, this.fragment(openTokens, env));
    const element = this.container.lastElementChild?.querySelector(':scope > code');
    this.openCode =
      fence && !final && element instanceof HTMLElement
        ? { info: fence.info, code: blockCode(fence.content), element, renderedAt: started, renderCost: performance.now() - started }
        : undefined;
  }

  /** Appends the new code of the streaming block as text; false when it needs a full render instead. */
  private appendToOpenCode(info: string, code: string): boolean {
    const open = this.openCode;
    if (!open || open.info !== info || !code.startsWith(open.code) || !open.element.isConnected) return false;
    if (performance.now() - open.renderedAt >= 10 * open.renderCost) return false;
    if (code.length > open.code.length) open.element.append(code.slice(open.code.length));
    open.code = code;
    return true;
  }

  private reset(): void {
    this.source = '';
    this.finalLength = 0;
    this.finalNodes = 0;
    this.openCode = undefined;
    this.container.replaceChildren();
  }

  private fragment(tokens: MarkdownTokens, env: MarkdownEnv): DocumentFragment {
    const fragment = renderTokens(tokens, env);
    decorateCodeBlocks(fragment);
    return fragment;
  }
}

function normaliseNewlines(text: string): string {
  // markdown-it does the same internally; doing it first keeps line numbers and offsets in step.
  return text.includes('\r') ? text.replace(/\r\n?/g, '\n') : text;
}

/** Index of the token that opens the last top-level block, if any. */
function lastTopLevelBlock(tokens: MarkdownTokens): number | undefined {
  for (let index = tokens.length - 1; index >= 0; index--) {
    const token = tokens[index];
    if (token && token.block && token.level === 0 && token.nesting !== -1 && token.map) return index;
  }
  return undefined;
}

function offsetOfLine(text: string, line: number): number {
  let offset = 0;
  for (let seen = 0; seen < line; seen++) {
    const newline = text.indexOf('\n', offset);
    if (newline === -1) return text.length;
    offset = newline + 1;
  }
  return offset;
}
