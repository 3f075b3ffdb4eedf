/**
 * Keeps every line a relay's logger writes, so tests can read what was logged and prove what never was.
 */
import { Writable } from 'node:stream';
import { isRecord } from './json';

export class LogCapture extends Writable {
  private readonly chunks: string[] = [];

  override _write(chunk: Buffer | string, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.chunks.push(typeof chunk === 'string' ? chunk : chunk.toString('utf8'));
    callback();
  }

  /** Everything written so far, as written. */
  get text(): string {
    return this.chunks.join('');
  }

  /** Each non-empty line parsed as JSON; a line that is not JSON is returned as its raw text, so a test can see it. */
  lines(): unknown[] {
    return this.text
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line): unknown => {
        try {
          return JSON.parse(line);
        } catch {
          return line;
        }
      });
  }

  /** The JSON object lines (pino records); anything else is left out. */
  records(): Array<Record<string, unknown>> {
    return this.lines().filter(isRecord);
  }
}
