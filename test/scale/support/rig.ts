/**
 * Relays and fake Ollama hosts for the scale suite, each started on 127.0.0.1 port 0 and registered with
 * a Teardown so that every server is closed after the test even when it fails.
 */
import { Writable } from 'node:stream';
import type { RunningRelay } from '../../../server/relay';
import { type FakeOllama, type FakeOllamaOptions, startFakeOllama } from '../../fakes/fakeOllama';
import { LogCapture } from '../../support/logCapture';
import { type Env, startLocalRelay } from '../../support/relay';
import { isRecord, send, bearer, type Received } from './http';

export type { Env };

export const ALICE = 'tok-scale-alice-5d1e9b';
export const BOB = 'tok-scale-bob-c07a42';
export const RELAY_TOKENS = `alice:${ALICE},bob:${BOB}`;

export const CHAT = 'llama3.2:1b';
export const CODER = 'qwen2.5-coder:1.5b';
export const EMBEDDER = 'nomic-embed-text';

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
  const logs = new LogCapture();
  const { relay, close } = await startLocalRelay({ env: { OLLAMA_HOST: upstreams.join(','), RELAY_TOKENS, LOG_LEVEL: 'info', ...env }, logStream: logStream ?? logs });
  teardown.add(close);
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
