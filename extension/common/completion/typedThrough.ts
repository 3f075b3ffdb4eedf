/**
 * Typed-through reuse: when the user types exactly what the last completion for a document suggested,
 * the rest of that suggestion is still right and no new request is needed. Comparing the raw prefix and
 * suffix (not the prompt windows) keeps the check exact.
 */

export interface CompletionRecord {
  /** Document text before the cursor when the completion was requested. */
  readonly prefix: string;
  /** Document text after the cursor; typing in front of it leaves it unchanged. */
  readonly suffix: string;
  readonly model: string;
  /** True once the text is final. */
  readonly settled: boolean;
  /** The completion, once settled; undefined if it produced nothing. */
  readonly text: string | undefined;
  /** While pending: the raw text the model has generated so far. */
  readonly partial?: string;
}

export interface Cursor {
  prefix: string;
  suffix: string;
}

/**
 * The characters typed since `record` was requested, when the record can still answer for `cursor`.
 * A pending record qualifies at the same position, or when what it has streamed so far agrees with
 * what was typed (its text is checked again when it settles). A pending record that has shown nothing
 * yet cannot vouch for typed characters: the caller then aborts it instead of waiting, so a fast
 * typist never waits for (or keeps the GPU busy with) a stale suggestion. A settled record must start
 * with what was typed and have something left.
 */
export function typedSince(record: CompletionRecord, cursor: Cursor, configuredModel: string): string | undefined {
  if (configuredModel !== '' && configuredModel !== record.model) return undefined;
  if (cursor.suffix !== record.suffix || !cursor.prefix.startsWith(record.prefix)) return undefined;
  const typed = cursor.prefix.slice(record.prefix.length);
  if (!record.settled) {
    const partial = record.partial ?? '';
    if (typed === '') return typed;
    return partial !== '' && (partial.startsWith(typed) || typed.startsWith(partial)) ? typed : undefined;
  }
  return remainderAfter(record.text, typed) === undefined ? undefined : typed;
}

/** What is left of `text` after `typed`, if `text` starts with it and something non-blank remains. */
export function remainderAfter(text: string | undefined, typed: string): string | undefined {
  if (text === undefined || !text.startsWith(typed)) return undefined;
  const rest = text.slice(typed.length);
  return rest.trim() === '' ? undefined : rest;
}
