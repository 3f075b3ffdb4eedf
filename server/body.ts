/** Reads and parses request bodies within the size limit; every failure is a RelayError with a clear message. */
import type { IncomingMessage } from 'node:http';
import { RelayError } from './errors';

export function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) {
    req.resume();
    return Promise.reject(tooLarge(maxBytes));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > maxBytes) {
        req.removeListener('data', onData);
        req.resume();
        reject(tooLarge(maxBytes));
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size)));
    req.once('error', () => reject(new RelayError(400, 'the request body could not be read')));
    req.once('close', () => {
      if (!req.complete) reject(new RelayError(499, 'client closed the request'));
    });
  });
}

const MAX_NESTING = 512;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Parses a JSON object body. Ollama answers `missing request body` for an empty one, and so do we. */
export function parseJsonObject(body: Buffer): Record<string, unknown> {
  if (body.length === 0) throw new RelayError(400, 'missing request body');
  let text: string;
  try {
    text = utf8.decode(body);
  } catch {
    throw new RelayError(400, 'the request body is not valid UTF-8');
  }
  // Deeply nested values would exhaust the stack of everything that walks them later.
  if (nestingDepth(body, MAX_NESTING) > MAX_NESTING) throw new RelayError(400, `invalid JSON in request body: nested deeper than ${MAX_NESTING} levels`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new RelayError(400, `invalid JSON in request body: ${(error as Error).message}`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new RelayError(400, 'the request body must be a JSON object');
  return value as Record<string, unknown>;
}

/** Bracket depth of a JSON text outside strings; stops counting once past `limit`. */
export function nestingDepth(json: Buffer, limit: number): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < json.length; i++) {
    const byte = json[i];
    if (inString) {
      if (byte === 0x5c) i++;
      else if (byte === 0x22) inString = false;
    } else if (byte === 0x22) inString = true;
    else if (byte === 0x7b || byte === 0x5b) {
      depth++;
      if (depth > max) {
        max = depth;
        if (max > limit) return max;
      }
    } else if (byte === 0x7d || byte === 0x5d) depth--;
  }
  return max;
}

function tooLarge(maxBytes: number): RelayError {
  return new RelayError(413, `request body is larger than the ${maxBytes}-byte limit (MAX_BODY_BYTES)`, 'request_too_large');
}
