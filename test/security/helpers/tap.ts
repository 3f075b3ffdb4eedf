/**
 * A TCP tap between the relay and the fake Ollama: it forwards bytes unchanged both ways and keeps what
 * the relay sent. The fake records a request only once its body is complete; the tap shows the first
 * byte, so a test can prove that nothing (not even a partial request) left the relay.
 */
import { once } from 'node:events';
import net from 'node:net';

export interface Tap {
  url: string;
  /** Everything the relay has sent upstream so far, as latin1. */
  sent(): string;
  close(): Promise<void>;
}

export async function startTap(targetPort: number): Promise<Tap> {
  const sent: Buffer[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect({ host: '127.0.0.1', port: targetPort });
    sockets.add(client);
    sockets.add(upstream);
    client.on('data', (data: Buffer) => sent.push(data));
    client.pipe(upstream);
    upstream.pipe(client);
    const closeBoth = (): void => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('close', closeBoth);
    upstream.on('close', closeBoth);
    client.on('error', closeBoth);
    upstream.on('error', closeBoth);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('tap has no TCP address');
  return {
    url: `http://127.0.0.1:${address.port}`,
    sent: () => Buffer.concat(sent).toString('latin1'),
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
