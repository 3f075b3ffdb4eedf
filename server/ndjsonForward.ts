/**
 * Forwards an Ollama NDJSON answer to the client as it arrives.
 *
 * Hot path: per chunk it does one `lastIndexOf('\n')` and one `indexOf('"done":true')`, and writes the
 * complete lines unchanged. Only the final record is touched, to add the `relay` object before its
 * closing brace. A partial line is held back until its newline arrives (a client can do nothing with
 * half a JSON line). If the upstream ends, stalls or fails before the final record, the client gets one
 * terminal `{"error":…}` line, the way Ollama itself reports a mid-stream failure.
 */
import type { ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';

const NEWLINE = 0x0a;
// Encoded once: Buffer#indexOf with a string argument would encode it again on every chunk.
const DONE_MARK = Buffer.from('"done":true');
const ERROR_MARK = Buffer.from('{"error"');

export interface FinalRecord {
  promptTokens?: number;
  completionTokens?: number;
  loadNs?: number;
}

export interface NdjsonForwardOptions {
  /** Headers to send with the first byte. */
  head: () => Record<string, string | number>;
  status: number;
  /** Adds the relay's own figures to the final record (generate/chat only). */
  relayInfo?: () => Record<string, unknown>;
  idleTimeoutMs: number;
  onFirstByte: () => void;
  onFinal: (record: FinalRecord) => void;
  /** Receives every upstream byte unchanged (for the response cache). */
  capture?: (chunk: Buffer) => void;
  /** Aborted when the client left or was superseded: the stream then ends without an error frame. */
  signal?: AbortSignal;
}

export type ForwardOutcome = 'ok' | 'upstream_error' | 'client_abort';

/** How forwarding ended; `failedBeforeFirstByte` carries the reason when nothing reached the client yet. */
export type ForwardResult = { outcome: ForwardOutcome } | { outcome: 'failed_before_first_byte'; reason: string };

export function forwardNdjson(upstream: Readable, res: ServerResponse, options: NdjsonForwardOptions): Promise<ForwardResult> {
  return new Promise((resolve) => {
    let pending: Buffer | undefined;
    let started = false;
    let finished = false;
    let sawDone = false;
    let sawError = false;

    const begin = (): void => {
      if (started) return;
      started = true;
      options.onFirstByte();
      res.writeHead(options.status, options.head());
    };

    const finish = (result: ForwardResult): void => {
      if (finished) return;
      finished = true;
      clearTimeout(idle);
      upstream.removeListener('data', onData);
      resolve(result);
    };

    // Before the first byte the caller can still answer with a proper status (and fail over);
    // after it, the stream ends with one terminal error line, the way Ollama reports mid-stream failures.
    const fail = (message: string): void => {
      if (finished) return;
      upstream.destroy();
      if (options.signal?.aborted) {
        finish({ outcome: 'client_abort' });
        return;
      }
      if (!started) {
        finish({ outcome: 'failed_before_first_byte', reason: message });
        return;
      }
      if (!sawError && !res.destroyed) res.end(`${JSON.stringify({ error: message })}\n`);
      finish({ outcome: 'upstream_error' });
    };

    const idle = setTimeout(() => fail(`upstream stalled: no data for ${options.idleTimeoutMs} ms`), options.idleTimeoutMs);

    const write = (bytes: Buffer): void => {
      if (bytes.length === 0) return;
      begin();
      if (!res.write(bytes)) {
        upstream.pause();
        res.once('drain', () => upstream.resume());
      }
    };

    // One pass over the complete lines: each must be a JSON object (garbage ends the stream), an error
    // line is noted, and only the last line can be Ollama's final record.
    const writeLines = (lines: Buffer): void => {
      let start = 0;
      let lastStart = -1;
      while (start < lines.length) {
        let end = lines.indexOf(NEWLINE, start);
        if (end === -1) end = lines.length;
        if (end > start) {
          if (options.relayInfo && !isJsonObjectLine(lines, start, end)) {
            write(lines.subarray(0, start));
            fail('upstream answered garbage: a line of its stream is not a JSON object');
            return;
          }
          if (lines[start + 2] === 0x65 && ERROR_MARK.compare(lines, start, start + ERROR_MARK.length) === 0) sawError = true;
          lastStart = start;
        }
        start = end + 1;
      }
      const doneAt = lastStart === -1 ? -1 : lines.indexOf(DONE_MARK, lastStart);
      let lineEnd = doneAt === -1 ? -1 : lines.indexOf(NEWLINE, doneAt);
      if (doneAt !== -1 && lineEnd === -1) lineEnd = lines.length;
      // The byte mark is only a hint (a tool call's arguments could contain it): the parsed record decides.
      const finalLine = doneAt === -1 ? undefined : lines.toString('utf8', lastStart, lineEnd);
      const record = finalLine === undefined ? undefined : readFinalRecord(finalLine);
      if (!record || finalLine === undefined) {
        write(lines);
        return;
      }
      sawDone = true;
      begin();
      options.onFinal(record);
      const rewritten = options.relayInfo ? withRelayInfo(finalLine, options.relayInfo()) : finalLine;
      res.cork();
      write(lines.subarray(0, lastStart));
      write(Buffer.from(rewritten));
      write(lines.subarray(lineEnd));
      res.uncork();
    };

    const onData = (chunk: Buffer): void => {
      idle.refresh();
      options.capture?.(chunk);
      let rest = chunk;
      if (pending) {
        // Complete the held-back line with the bytes up to the first newline only: copying the whole
        // chunk onto it would cost a full copy of most reads at full speed.
        const firstNewline = chunk.indexOf(NEWLINE);
        if (firstNewline === -1) {
          pending = Buffer.concat([pending, chunk]);
          return;
        }
        const completed = Buffer.concat([pending, chunk.subarray(0, firstNewline + 1)]);
        pending = undefined;
        rest = chunk.subarray(firstNewline + 1);
        res.cork();
        writeLines(completed);
        if (rest.length === 0 || finished) {
          res.uncork();
          return;
        }
        forwardComplete(rest);
        res.uncork();
        return;
      }
      forwardComplete(rest);
    };

    /** Writes the complete lines of `data` and holds back a trailing partial line. */
    const forwardComplete = (data: Buffer): void => {
      const lastNewline = data.lastIndexOf(NEWLINE);
      if (lastNewline === -1) {
        pending = data;
        return;
      }
      pending = lastNewline === data.length - 1 ? undefined : data.subarray(lastNewline + 1);
      writeLines(lastNewline === data.length - 1 ? data : data.subarray(0, lastNewline + 1));
    };

    upstream.on('data', onData);
    upstream.once('end', () => {
      if (finished) return;
      // A non-streaming answer (or a last line) may come without a trailing newline.
      if (pending) writeLines(pending);
      pending = undefined;
      if (finished) return;
      if (!sawDone && !sawError && options.relayInfo) {
        fail('upstream closed the stream before the final record');
        return;
      }
      begin();
      res.end();
      finish({ outcome: sawError ? 'upstream_error' : 'ok' });
    });
    upstream.once('error', () => fail('upstream connection failed mid-stream'));
    upstream.once('close', () => {
      if (!upstream.readableEnded) fail('upstream connection closed mid-stream');
    });
    res.once('close', () => {
      if (!res.writableFinished) {
        upstream.destroy();
        finish({ outcome: 'client_abort' });
      }
    });
  });
}

/**
 * Whether bytes [start, end) can be a JSON object line: it starts with `{` and ends with `}` (a trailing
 * `\r` allowed). Two byte comparisons: a cheap guard that keeps HTML error pages and truncated junk from
 * reaching clients as if they were tokens.
 */
export function isJsonObjectLine(lines: Buffer, start: number, end: number): boolean {
  let last = end - 1;
  if (lines[last] === 0x0d) last -= 1;
  return last > start && lines[start] === 0x7b && lines[last] === 0x7d;
}

/** Byte offset of the first non-empty line that cannot be a JSON object, or -1. */
export function firstMalformedLine(lines: Buffer): number {
  let start = 0;
  while (start < lines.length) {
    let end = lines.indexOf(NEWLINE, start);
    if (end === -1) end = lines.length;
    if (end > start && !isJsonObjectLine(lines, start, end)) return start;
    start = end + 1;
  }
  return -1;
}

/** Inserts `"relay":{…}` before the closing brace of a JSON object line, leaving every other byte as Ollama sent it. */
export function withRelayInfo(line: string, info: Record<string, unknown>): string {
  const end = line.lastIndexOf('}');
  if (end === -1) return line;
  const body = line.slice(0, end).trimEnd();
  const separator = body.endsWith('{') ? '' : ',';
  return `${body}${separator}"relay":${JSON.stringify(info)}${line.slice(end)}`;
}

/** The final record's counters, or undefined when the line is not a top-level `done: true` record. */
function readFinalRecord(line: string): FinalRecord | undefined {
  try {
    const record = JSON.parse(line) as Record<string, unknown>;
    if (record.done !== true) return undefined;
    const num = (key: string): number | undefined => (typeof record[key] === 'number' ? (record[key] as number) : undefined);
    return { promptTokens: num('prompt_eval_count'), completionTokens: num('eval_count'), loadNs: num('load_duration') };
  } catch {
    return undefined;
  }
}
