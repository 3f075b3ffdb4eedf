/**
 * How much of the document goes into a completion prompt. Lengths are budgeted in tokens but measured
 * with an estimate of 4 characters per token: a tokenizer is not available in the editor, code averages
 * 3–4 characters per token, and `TEMPLATE_RESERVE_TOKENS` plus `num_predict` leave headroom inside `num_ctx`.
 * Cuts fall on line boundaries where possible, so the model rarely sees half a line at the edge of its context.
 */

export const CHARS_PER_TOKEN = 4;
/** Room for the FIM special tokens and estimation error. */
export const TEMPLATE_RESERVE_TOKENS = 32;

export interface TokenBudget {
  prefixTokens: number;
  suffixTokens: number;
}

/**
 * Fits the configured prefix/suffix windows and `maxTokens` of output into `numCtx`, shrinking both
 * windows in proportion when they do not fit.
 */
export function fitBudget(numCtx: number, maxTokens: number, wanted: TokenBudget): TokenBudget {
  const prefixWanted = wholeTokens(wanted.prefixTokens);
  const suffixWanted = wholeTokens(wanted.suffixTokens);
  const available = Math.max(0, wholeTokens(numCtx) - wholeTokens(maxTokens) - TEMPLATE_RESERVE_TOKENS);
  if (prefixWanted + suffixWanted <= available) return { prefixTokens: prefixWanted, suffixTokens: suffixWanted };
  const suffixTokens = Math.floor((available * suffixWanted) / (prefixWanted + suffixWanted));
  return { prefixTokens: available - suffixTokens, suffixTokens };
}

/**
 * The end of `prefix` within `tokens`. The cut moves forward to the next line start unless that would
 * throw away more than half of the window (a very long line is cut mid-line instead).
 */
export function windowPrefix(prefix: string, tokens: number): string {
  const maxChars = wholeTokens(tokens) * CHARS_PER_TOKEN;
  if (prefix.length <= maxChars) return prefix;
  if (maxChars === 0) return '';
  const start = avoidSplitPair(prefix, prefix.length - maxChars, +1);
  const lineStart = prefix.indexOf('\n', start - 1) + 1;
  const snapped = lineStart > 0 && lineStart < prefix.length && lineStart - start <= maxChars / 2;
  return prefix.slice(snapped ? lineStart : start);
}

/**
 * The start of `suffix` within `tokens`. The cut moves back to the end of the last whole line unless that
 * would throw away more than half of the window.
 */
export function windowSuffix(suffix: string, tokens: number): string {
  const maxChars = wholeTokens(tokens) * CHARS_PER_TOKEN;
  if (suffix.length <= maxChars) return suffix;
  if (maxChars === 0) return '';
  const end = avoidSplitPair(suffix, maxChars, -1);
  const lineEnd = suffix.lastIndexOf('\n', end - 1) + 1;
  const snapped = lineEnd > 0 && end - lineEnd <= maxChars / 2;
  return suffix.slice(0, snapped ? lineEnd : end);
}

/** A token count from settings: NaN, negative or fractional values become a whole number ≥ 0. */
function wholeTokens(value: number): number {
  return Number.isFinite(value) && value > 0 ? Math.floor(value) : 0;
}

/** Moves a cut index off the middle of a UTF-16 surrogate pair, so no lone surrogate reaches the model. */
function avoidSplitPair(text: string, index: number, direction: 1 | -1): number {
  const code = text.charCodeAt(index);
  const isLowSurrogate = code >= 0xdc00 && code <= 0xdfff;
  return isLowSurrogate ? index + direction : index;
}
