/**
 * The completion stream as a chain of async generators: response chunks → text → text without leaked
 * special tokens → shaped ghost text. Each stage stops pulling as soon as it has decided, and leaving
 * the chain early (a rule stopped it, or the consumer broke out) runs `responseText`'s `finally`, which
 * aborts the HTTP request: the `ollama` client does not close the connection on `break` by itself.
 */
import { CompletionShaper, type ShapeRules } from './completionShape';

/** The `response` text of each `/api/generate` chunk; aborts the request when iteration ends for any reason. */
export async function* responseText(chunks: AsyncIterable<unknown>, abortRequest: () => void): AsyncGenerator<string> {
  try {
    for await (const chunk of chunks) {
      const text = responseOf(chunk);
      if (text) yield text;
    }
  } finally {
    abortRequest();
  }
}

/** Validates one chunk from the network; a thinking-only chunk has an empty `response`. */
function responseOf(chunk: unknown): string | undefined {
  if (typeof chunk !== 'object' || chunk === null || !('response' in chunk)) return undefined;
  return typeof chunk.response === 'string' ? chunk.response : undefined;
}

/**
 * Passes text through until one of `tokens` appears, then ends before it. A token that arrives before
 * any non-blank text is a leaked template marker (e.g. `<|fim_middle|>` echoed first) and is dropped
 * instead. A possible token start at the end of a piece is held back until the next piece decides it.
 */
export async function* cutAtStopTokens(source: AsyncIterable<string>, tokens: readonly string[]): AsyncGenerator<string> {
  let buffer = '';
  let leading = true;
  for await (const piece of source) {
    buffer += piece;
    for (let hit = firstToken(buffer, tokens); hit; hit = firstToken(buffer, tokens)) {
      const before = buffer.slice(0, hit.index);
      if (!(leading && before.trim() === '')) {
        if (before) yield before;
        return;
      }
      buffer = before + buffer.slice(hit.index + hit.token.length);
    }
    const ready = buffer.slice(0, buffer.length - partialTokenLength(buffer, tokens));
    // Blank text is held while leading so a marker after it is still recognised as leading.
    if (leading && ready.trim() === '') continue;
    leading = false;
    buffer = buffer.slice(ready.length);
    if (ready) yield ready;
  }
  if (buffer) yield buffer;
}

function firstToken(text: string, tokens: readonly string[]): { index: number; token: string } | undefined {
  let best: { index: number; token: string } | undefined;
  for (const token of tokens) {
    const index = text.indexOf(token);
    if (index === -1) continue;
    if (!best || index < best.index || (index === best.index && token.length > best.token.length)) best = { index, token };
  }
  return best;
}

/** Length of the longest end of `text` that is the start of some token. */
function partialTokenLength(text: string, tokens: readonly string[]): number {
  let longest = 0;
  for (const token of tokens) {
    for (let length = Math.min(token.length - 1, text.length); length > longest; length -= 1) {
      if (text.endsWith(token.slice(0, length))) {
        longest = length;
        break;
      }
    }
  }
  return longest;
}

/** Applies the ghost-text rules (see completionShape.ts), stopping the upstream as soon as a rule ends it. */
export async function* shapeCompletion(source: AsyncIterable<string>, rules: ShapeRules): AsyncGenerator<string> {
  const shaper = new CompletionShaper(rules);
  for await (const piece of source) {
    const step = shaper.push(piece);
    if (step.release) yield step.release;
    if (step.stop) return;
  }
  const rest = shaper.finish();
  if (rest) yield rest;
}

export async function collectText(source: AsyncIterable<string>): Promise<string> {
  let text = '';
  for await (const piece of source) text += piece;
  return text;
}

/**
 * Passes the upstream chunks through and reports the raw text generated so far: the shaped text can lag
 * behind (a line is held until it is known to be kept), while typed-through only needs to know whether
 * the model is heading where the user is typing.
 */
export async function* reportRawText(chunks: AsyncIterable<unknown>, onProgress: (rawSoFar: string) => void): AsyncGenerator<unknown> {
  let raw = '';
  for await (const chunk of chunks) {
    if (chunk && typeof chunk === 'object' && 'response' in chunk && typeof chunk.response === 'string' && chunk.response !== '') {
      raw += chunk.response;
      onProgress(raw);
    }
    yield chunk;
  }
}

export interface CompletionStreamOptions {
  stopTokens: readonly string[];
  rules: ShapeRules;
  /** Closes the HTTP request; called once the stream is no longer read, however that happens. */
  abortRequest: () => void;
}

/** The whole chain for one `/api/generate` stream. */
export function completionStream(chunks: AsyncIterable<unknown>, options: CompletionStreamOptions): AsyncGenerator<string> {
  return shapeCompletion(cutAtStopTokens(responseText(chunks, options.abortRequest), options.stopTokens), options.rules);
}
