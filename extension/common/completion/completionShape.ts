/**
 * The rules that turn what a model streams into ghost text worth showing:
 * - single line unless the cursor sits at the end of its line (or right after a block opener with only
 *   closing brackets after it): then up to `maxLines` lines;
 * - stop before a bracket that closes past the level open at the cursor (the code after the cursor
 *   already closes it);
 * - stop before a line that repeats the first non-blank line after the cursor;
 * - no trailing whitespace.
 *
 * `CompletionShaper` is fed text in arbitrary pieces and decides character by character, so its output
 * does not depend on where the stream was split.
 */

export type CompletionMode = 'single-line' | 'multi-line';

export interface ShapeRules {
  mode: CompletionMode;
  /** At least 1. An empty first line (the cursor line's rest) is not counted. */
  maxLines: number;
  /** First non-blank line after the cursor, trimmed; '' when there is none. */
  suffixFirstLine: string;
  /** The rest of the cursor line after the cursor, trimmed. */
  lineSuffix: string;
  /** Whether `'` opens a string literal (not in Rust, where `'a` is a lifetime). */
  singleQuoteStrings: boolean;
  /** The quote of a string literal left open before the cursor on its line, if any. */
  openQuote?: string;
}

const OPENERS = '([{';
const CLOSERS = ')]}';
const BLOCK_OPENERS = ['{', '['];
const ONLY_CLOSERS = /^[\s)\]}]*[;,]?\s*$/;
const NO_SINGLE_QUOTE_STRINGS = new Set(['rust']);

export function completionMode(linePrefix: string, lineSuffix: string): CompletionMode {
  if (lineSuffix.trim() === '') return 'multi-line';
  const opensBlock = BLOCK_OPENERS.some((opener) => linePrefix.trimEnd().endsWith(opener));
  return opensBlock && ONLY_CLOSERS.test(lineSuffix) ? 'multi-line' : 'single-line';
}

export function shapeRulesFor(prefix: string, suffix: string, languageId: string, maxLines: number): ShapeRules {
  const linePrefix = prefix.slice(prefix.lastIndexOf('\n') + 1);
  const newline = suffix.indexOf('\n');
  const lineSuffix = newline === -1 ? suffix : suffix.slice(0, newline);
  const suffixFirstLine = suffix.split('\n').map((line) => line.trim()).find((line) => line !== '') ?? '';
  const singleQuoteStrings = !NO_SINGLE_QUOTE_STRINGS.has(languageId);
  const openQuote = openQuoteAtEnd(linePrefix, singleQuoteStrings);
  return {
    mode: completionMode(linePrefix, lineSuffix),
    maxLines: Number.isFinite(maxLines) ? Math.max(1, Math.floor(maxLines)) : 1,
    suffixFirstLine,
    lineSuffix: lineSuffix.trim(),
    singleQuoteStrings,
    ...(openQuote === undefined ? {} : { openQuote }),
  };
}

/**
 * The quote of a string still open at the end of `linePrefix` (cursor inside a literal), so that the
 * literal's closing quote in the completion is not taken for an opening one. A line comment ends the scan:
 * an apostrophe in `// don't` opens nothing.
 */
export function openQuoteAtEnd(linePrefix: string, singleQuoteStrings: boolean): string | undefined {
  let quote: string | undefined;
  let escaped = false;
  for (let index = 0; index < linePrefix.length; index += 1) {
    const char = linePrefix.charAt(index);
    if (quote !== undefined) {
      if (escaped) escaped = false;
      else if (char === '\\') escaped = true;
      else if (char === quote) quote = undefined;
    } else if (char === '#' || linePrefix.startsWith('//', index)) {
      return undefined;
    } else if (isQuote(char, singleQuoteStrings)) {
      quote = char;
    }
  }
  return quote;
}

function isQuote(char: string, singleQuoteStrings: boolean): boolean {
  return char === '"' || char === '`' || (char === "'" && singleQuoteStrings);
}

export interface ShapeStep {
  /** Text that is final: append it to what was released before. */
  release: string;
  /** True once a rule ended the completion; later input is ignored. */
  stop: boolean;
}

export class CompletionShaper {
  private line = '';
  /** Whitespace and line breaks that become part of the output only if non-blank text follows. */
  private pendingBlank = '';
  private countedLines = 0;
  private isFirstSegment = true;
  private depth = 0;
  private quote: string | undefined;
  private escaped = false;
  private stopped = false;

  constructor(private readonly rules: ShapeRules) {
    this.quote = rules.openQuote;
  }

  push(text: string): ShapeStep {
    let release = '';
    for (const char of text) {
      if (this.stopped) break;
      if (char === '\n') release += this.endLine();
      else if (this.closesPastCursor(char)) release += this.stop();
      else this.line += char;
    }
    return { release, stop: this.stopped };
  }

  /** The stream ended: release the last line. */
  finish(): string {
    return this.stopped ? '' : this.stop();
  }

  private endLine(): string {
    this.quote = this.quote === '`' ? this.quote : undefined;
    this.escaped = false;
    if (this.rules.mode === 'single-line') return this.stop();
    if (this.repeatsSuffix(this.line)) {
      this.stopped = true;
      return '';
    }
    const blankFirst = this.isFirstSegment && this.line.trim() === '';
    this.isFirstSegment = false;
    if (!blankFirst) this.countedLines += 1;
    if (this.countedLines >= this.rules.maxLines) return this.stop();
    const released = this.releaseLine();
    this.pendingBlank += '\n';
    return released;
  }

  private stop(): string {
    this.stopped = true;
    if (this.rules.mode === 'multi-line' && this.repeatsSuffix(this.line)) return '';
    if (this.rules.mode === 'single-line') this.line = this.withoutRepeatedLineSuffix(this.line);
    return this.releaseLine();
  }

  /** Releases the current line without its trailing whitespace, which waits in `pendingBlank`. */
  private releaseLine(): string {
    const content = this.line.trimEnd();
    const trailing = this.line.slice(content.length);
    this.line = '';
    if (content === '') {
      this.pendingBlank += trailing;
      return '';
    }
    const released = this.pendingBlank + content;
    this.pendingBlank = trailing;
    return released;
  }

  private repeatsSuffix(line: string): boolean {
    return this.rules.suffixFirstLine !== '' && line.trim() === this.rules.suffixFirstLine;
  }

  private withoutRepeatedLineSuffix(line: string): string {
    const tail = this.rules.lineSuffix;
    const content = line.trimEnd();
    return tail !== '' && content.endsWith(tail) ? content.slice(0, content.length - tail.length) : line;
  }

  /** Tracks strings and bracket depth; true for a closer that would close a bracket opened before the cursor. */
  private closesPastCursor(char: string): boolean {
    if (this.quote !== undefined) {
      if (this.escaped) this.escaped = false;
      else if (char === '\\') this.escaped = true;
      else if (char === this.quote) this.quote = undefined;
      return false;
    }
    if (isQuote(char, this.rules.singleQuoteStrings)) {
      this.quote = char;
    } else if (OPENERS.includes(char)) {
      this.depth += 1;
    } else if (CLOSERS.includes(char)) {
      this.depth -= 1;
      return this.depth < 0;
    }
    return false;
  }
}
