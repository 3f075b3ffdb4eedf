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

/** Parses a JSON object body. Ollama answers `missing request body` for an empty one, and so do we. */
export function parseJsonObject(body: Buffer): Record<string, unknown> {
  if (body.length === 0) throw new RelayError(400, 'missing request body');
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch (error) {
    throw new RelayError(400, `invalid JSON in request body: ${(error as Error).message}`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new RelayError(400, 'the request body must be a JSON object');
  return value as Record<string, unknown>;
}

function tooLarge(maxBytes: number): RelayError {
  return new RelayError(413, `request body is larger than the ${maxBytes}-byte limit (MAX_BODY_BYTES)`, 'request_too_large');
}
