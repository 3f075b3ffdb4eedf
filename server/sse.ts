/**
 * Server-sent events for the OpenAI-compatible routes: `data: <json>\n\n` frames, `data: [DONE]` at the
 * end, a comment line as heartbeat during long silences (a cold model load can take minutes, and proxies
 * close idle connections), and backpressure: `send` resolves only when the socket can take more.
 */
import type { ServerResponse } from 'node:http';

const HEARTBEAT_MS = 15_000;

export class SseWriter {
  private heartbeat: NodeJS.Timeout | undefined;
  private opened = false;

  constructor(private readonly res: ServerResponse) {}

  get isOpen(): boolean {
    return this.opened;
  }

  open(headers: Record<string, string>): void {
    if (this.opened || this.res.headersSent || this.res.destroyed) return;
    this.opened = true;
    this.res.writeHead(200, {
      ...headers,
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      'X-Accel-Buffering': 'no',
      Connection: 'keep-alive',
    });
    this.res.flushHeaders();
    this.heartbeat = setInterval(() => this.res.write(': keep-alive\n\n'), HEARTBEAT_MS);
  }

  /** Writes one event carrying already-serialised JSON; resolves once the socket drained if it had to buffer. */
  async send(json: string): Promise<void> {
    this.heartbeat?.refresh();
    if (this.res.write(`data: ${json}\n\n`)) return;
    await new Promise<void>((resolve) => {
      const done = (): void => {
        this.res.removeListener('drain', done);
        this.res.removeListener('close', done);
        resolve();
      };
      this.res.once('drain', done);
      this.res.once('close', done);
    });
  }

  end(): void {
    this.stopHeartbeat();
    if (!this.res.destroyed) this.res.end('data: [DONE]\n\n');
  }

  /** The terminal frame after streaming began: an OpenAI error object, then [DONE]. */
  fail(message: string, type = 'api_error', code: string | null = null): void {
    this.stopHeartbeat();
    if (this.res.destroyed) return;
    this.res.write(`data: ${JSON.stringify({ error: { message, type, param: null, code } })}\n\n`);
    this.res.end('data: [DONE]\n\n');
  }

  stopHeartbeat(): void {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = undefined;
  }
}
