/**
 * A throwaway redis-server on a free loopback port, without persistence, that a test can kill (to
 * simulate an outage) and start again on the same port.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { Redis } from 'ioredis';
import { closedPort } from '../../support/net';
import { within } from './wait';

/** The redis-server binary on PATH (or /usr/bin), or undefined when it is not installed. */
export function findRedisServer(): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/bin', '/usr/local/bin'];
  for (const dir of dirs) {
    if (dir === '') continue;
    const candidate = join(dir, 'redis-server');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

export const REDIS_MISSING = 'redis-server is not installed (apt-get install -y redis-server)';

export class RedisServer {
  private child: ChildProcess | undefined;

  private constructor(
    private readonly binary: string,
    readonly port: number,
  ) {}

  static async start(binary: string): Promise<RedisServer> {
    const server = new RedisServer(binary, await closedPort());
    await server.restart();
    return server;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Starts redis-server (again) on the same port and resolves once it accepts connections. */
  async restart(): Promise<void> {
    const child = spawn(this.binary, ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    let output = '';
    const ready = new Promise<void>((resolve, reject) => {
      child.stdout?.on('data', (bytes: Buffer) => {
        output += bytes.toString('utf8');
        if (output.includes('Ready to accept connections')) resolve();
      });
      child.stderr?.on('data', (bytes: Buffer) => {
        output += bytes.toString('utf8');
      });
      child.once('exit', (code) => reject(new Error(`redis-server exited with ${String(code)}: ${output.slice(-500)}`)));
      child.once('error', reject);
    });
    await within(ready, 10_000, 'redis-server to accept connections');
  }

  /** Kills the server abruptly (an outage, not a shutdown) and waits until it is gone. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGKILL');
    await within(exited, 5000, 'redis-server to exit');
  }

  /** A client for the test's own checks (flush, key counts, pub/sub subscribers). */
  client(): Redis {
    return new Redis(this.url, { maxRetriesPerRequest: 1, lazyConnect: false });
  }
}
