/**
 * A pass-through that fails the stream at the first NDJSON line that is not a JSON object. Used in front
 * of the `ollama` client on the OpenAI-compatible routes, whose parser would otherwise skip a garbage
 * line with a console warning and let the answer continue as if nothing had been lost.
 */
import { Transform, type TransformCallback } from 'node:stream';
import { RelayError } from './errors';
import { firstMalformedLine } from './ndjsonForward';

const NEWLINE = 0x0a;

export function ndjsonGuard(): Transform {
  let tail: Buffer | undefined;
  return new Transform({
    transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback) {
      const data = tail ? Buffer.concat([tail, chunk]) : chunk;
      const lastNewline = data.lastIndexOf(NEWLINE);
      tail = lastNewline === data.length - 1 ? undefined : data.subarray(lastNewline + 1);
      if (lastNewline !== -1 && firstMalformedLine(data.subarray(0, lastNewline)) !== -1) {
        callback(new RelayError(502, 'upstream answered garbage: a line of its stream is not a JSON object', 'upstream_error'));
        return;
      }
      callback(null, chunk);
    },
    flush(callback: TransformCallback) {
      if (tail && firstMalformedLine(tail) !== -1) callback(new RelayError(502, 'upstream answered garbage: its stream ended inside a line', 'upstream_error'));
      else callback();
    },
  });
}
