/**
 * Relays and fake Ollama hosts for the scale suite, each started on 127.0.0.1 port 0 and registered with
 * a Teardown so that every server is closed after the test even when it fails.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { loadConfig } from '../../../server/config';
import { startRelay, type RunningRelay } from '../../../server/relay';
import { type FakeOllama, type FakeOllamaOptions, startFakeOllama } from '../../fakes/fakeOllama';
import { isRecord, send, bearer, type Received } from './http';

export const ALICE = 'tok-scale-alice-5d1e9b';
export const BOB = 'tok-scale-bob-c07a42';
export const RELAY_TOKENS = `alice:${ALICE},bob:${BOB}`;

export const CHAT = 'llama3.2:1b';
export const CODER = 'qwen2.5-coder:1.5b';
export const EMBEDDER = 'nomic-embed-text';

export type Env = Record<string, string>;

/** Runs registered closers in reverse order; used from `afterEach`/`after`. */
export class Teardown {
  private readonly closers: Array<() => Promise<void> | void> = [];

  add(closer: () => Promise<void> | void): void {
    this.closers.push(closer);
  }

  async run(): Promise<void> {
    const errors: unknown[] = [];
    while (this.closers.length > 0) {
      const closer = this.closers.pop();
      try {
        await closer?.();
      } catch (error) {
        errors.push(error);
      }
    }
    if (errors.length > 0) throw errors[0] instanceof Error ? errors[0] : new Error(String(errors[0]));
  }
}

/** Keeps a relay's pino JSON lines. */
export class LogCapture extends Writable {
  private readonly chunks: string[] = [];

  override _write(chunk: Buffer | string, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.chunks.push(typeof chunk === 'string' ? chunk : chunk.toString('utf8'));
    callback();
  }

  get text(): string {
    return this.chunks.join('');
  }

  records(): Array<Record<string, unknown>> {
    return this.text
      .split('\n')
      .filter((line) => line.trim() !== '')
      .flatMap((line) => {
        try {
          const value: unknown = JSON.parse(line);
          return isRecord(value) ? [value] : [];
        } catch {
          return [];
        }
      });
  }
}

/** Discards a relay's logs (for the memory test, where a growing capture would be measured too). */
export class NullLog extends Writable {
  override _write(_chunk: unknown, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    callback();
  }
}

export interface TestRelay {
  url: string;
  relay: RunningRelay;
  logs: LogCapture;
  /** POST a JSON body with a token (ALICE by default). */
  post(path: string, body: unknown, options?: { token?: string; headers?: Record<string, string>; onChunk?: (bytes: Buffer) => void; signal?: AbortSignal; timeoutMs?: number }): Promise<Received>;
  get(path: string, token?: string): Promise<Received>;
}

export async function startFake(teardown: Teardown, options: FakeOllamaOptions = {}): Promise<FakeOllama> {
  const fake = await startFakeOllama(options);
  teardown.add(() => fake.close());
  return fake;
}

/** A relay in front of `upstreams` (URLs, in order), with `env` on top of the suite's base environment. */
export async function startTestRelay(teardown: Teardown, upstreams: readonly string[], env: Env = {}, logStream?: Writable): Promise<TestRelay> {
  const dataDir = mkdtempSync(join(tmpdir(), 'aide-scale-'));
  teardown.add(() => rmSync(dataDir, { recursive: true, force: true }));
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    OLLAMA_HOST: upstreams.join(','),
    RELAY_TOKENS,
    RELAY_DATA_DIR: dataDir,
    LOG_LEVEL: 'info',
    ...env,
  });
  const logs = new LogCapture();
  const relay = await startRelay(config, { logStream: logStream ?? logs });
  teardown.add(() => relay.close());
  return {
    url: relay.url,
    relay,
    logs,
    post: (path, body, options = {}) =>
      send(`${relay.url}${path}`, {
        body,
        headers: { ...bearer(options.token ?? ALICE), ...options.headers },
        ...(options.onChunk ? { onChunk: options.onChunk } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
        ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
      }),
    get: (path, token = ALICE) => send(`${relay.url}${path}`, { headers: bearer(token) }),
  };
}

/** A port on 127.0.0.1 on which nothing listens (connections to it are refused). */
export async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Loads `model` on a fake directly (empty prompt), so its `/api/ps` lists it as resident. */
export async function preload(fake: FakeOllama, model: string): Promise<void> {
  const loaded = await send(`${fake.url}/api/generate`, { body: { model, prompt: '', stream: false } });
  if (loaded.status !== 200) throw new Error(`could not preload ${model} on the fake: ${loaded.status} ${loaded.body}`);
}

/** A chat body for `model` whose reply is deterministic (`echo: <text>` plus a fixed tail). */
export function chatBody(model: string, text: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { model, messages: [{ role: 'user', content: text }], ...extra };
}

/** Inference requests (generate/chat) a fake received, not counting the preload and keep-warm calls with an empty prompt. */
export function inferenceCount(fake: FakeOllama): number {
  return fake.requests.filter((request) => {
    if (request.path === '/api/chat') return true;
    if (request.path !== '/api/generate') return false;
    return isRecord(request.body) && typeof request.body.prompt === 'string' && request.body.prompt !== '';
  }).length;
}
