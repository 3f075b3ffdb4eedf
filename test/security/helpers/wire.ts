/**
 * Byte-level clients: a raw TCP exchange that sends exactly the bytes a test writes (malformed framing,
 * CR/LF in headers, smuggling attempts) and reports what came back and whether the peer closed.
 */
import net from 'node:net';

export interface WireResult {
  /** Everything received, as latin1 so no byte is lost. */
  text: string;
  /** Status codes of every HTTP response head seen in `text`, in order. */
  statuses: number[];
  /** True when the peer ended or reset the connection before the deadline. */
  closedByPeer: boolean;
}

export interface WireOptions {
  /** Give up (and close from this side) after this long. */
  timeoutMs?: number;
  /** Stop waiting once this many responses have arrived. */
  responses?: number;
}

export function statusesIn(text: string): number[] {
  return [...text.matchAll(/HTTP\/1\.[01] (\d{3})/g)].map((match) => Number(match[1]));
}

/** Sends `payload` (all at once, or piece by piece with `gapMs` between pieces) and collects the answer. */
export function wireExchange(
  port: number,
  payload: string | Buffer | ReadonlyArray<string | Buffer>,
  options: WireOptions & { gapMs?: number; onWrite?: (index: number) => void } = {},
): Promise<WireResult> {
  const timeoutMs = options.timeoutMs ?? 5_000;
  const pieces = Array.isArray(payload) ? payload : [payload];
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    const received: Buffer[] = [];
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    const finish = (closedByPeer: boolean): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      const text = Buffer.concat(received).toString('latin1');
      resolve({ text, statuses: statusesIn(text), closedByPeer });
    };
    timer = setTimeout(() => finish(false), timeoutMs);
    socket.on('data', (data: Buffer) => {
      received.push(data);
      if (options.responses !== undefined && statusesIn(Buffer.concat(received).toString('latin1')).length >= options.responses) {
        // Give a pipelined second response a moment to show up before deciding.
        setTimeout(() => finish(false), 100);
      }
    });
    socket.on('end', () => finish(true));
    socket.on('close', () => finish(true));
    socket.on('error', () => finish(true));
    socket.once('connect', () => {
      void (async () => {
        for (const [index, piece] of pieces.entries()) {
          if (settled || socket.destroyed) return;
          options.onWrite?.(index);
          socket.write(typeof piece === 'string' ? Buffer.from(piece, 'latin1') : piece);
          if (options.gapMs) await new Promise((r) => setTimeout(r, options.gapMs));
        }
      })();
    });
  });
}
