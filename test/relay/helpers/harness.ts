/**
 * Starts the relay under test against a fake Ollama, with its logs captured, and tears both down.
 * Every log line written by any relay in the run is kept, so a root hook can prove that no secret and no
 * completion text ever reached a log.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { Ollama } from 'ollama';
import OpenAI from 'openai';
import { loadConfig } from '../../../server/config';
import { startRelay } from '../../../server/relay';
import { type FakeOllama, type FakeOllamaOptions, startFakeOllama } from '../../fakes/fakeOllama';
import { isRecord } from './rawHttp';

export const ALICE = 'tok-alice-123';
export const BOB = 'tok-bob-456';
export const RELAY_TOKENS = `alice:${ALICE},bob:${BOB}`;
/** Every secret any test hands to a relay; none may appear in a log, a metric or an error. */
export const SECRETS: string[] = [ALICE, BOB];

export const CODER = 'qwen2.5-coder:1.5b';
export const NO_INSERT = 'codellama:7b-code';
export const CHAT = 'llama3.2:1b';
export const THINKER = 'qwen3:0.6b';
export const EMBEDDER = 'nomic-embed-text';

export class LogCapture extends Writable {
  private readonly chunks: string[] = [];

  constructor(readonly promptsLogged: boolean) {
    super();
  }

  override _write(chunk: Buffer | string, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.chunks.push(typeof chunk === 'string' ? chunk : chunk.toString('utf8'));
    callback();
  }

  get text(): string {
    return this.chunks.join('');
  }

  /** Parsed JSON lines; a line that is not JSON is returned as its raw text. */
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
}

/** All captures of the run, checked once at the end. */
export const allLogCaptures: LogCapture[] = [];

export interface RunningRelay {
  url: string;
  logs: LogCapture;
  dataDir: string;
  close(): Promise<void>;
}

export type Env = Record<string, string | undefined>;

/** Base environment for a relay in front of `upstream`; `overrides` win (undefined removes a variable). */
export function relayEnv(upstream: string, dataDir: string, overrides: Env = {}): Env {
  const env: Env = {
    PORT: '0',
    HOST: '127.0.0.1',
    OLLAMA_HOST: upstream,
    RELAY_TOKENS,
    RELAY_DATA_DIR: dataDir,
    LOG_LEVEL: 'debug',
    ...overrides,
  };
  return Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined));
}

export function makeDataDir(): string {
  return mkdtempSync(join(tmpdir(), 'aide-relay-test-'));
}

/** Starts a relay; a data directory passed in is left in place on close, one made here is removed. */
export async function startRelayFor(upstream: string, overrides: Env = {}, givenDataDir?: string): Promise<RunningRelay> {
  const dataDir = givenDataDir ?? makeDataDir();
  const env = relayEnv(upstream, dataDir, overrides);
  const logs = new LogCapture(env.LOG_PROMPTS === '1');
  allLogCaptures.push(logs);
  for (const secret of [env.OLLAMA_API_KEY, env.METRICS_TOKEN]) if (secret !== undefined && !SECRETS.includes(secret)) SECRETS.push(secret);
  const relay = await startRelay(loadConfig(env), { logStream: logs });
  return {
    url: relay.url,
    logs,
    dataDir,
    close: async () => {
      await relay.close();
      if (givenDataDir === undefined) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface Rig {
  fake: FakeOllama;
  relay: RunningRelay;
  close(): Promise<void>;
}

/** A fake Ollama and a relay in front of it. */
export async function startRig(overrides: Env = {}, fakeOptions: FakeOllamaOptions = {}): Promise<Rig> {
  const fake = await startFakeOllama(fakeOptions);
  try {
    const relay = await startRelayFor(fake.url, overrides);
    return {
      fake,
      relay,
      close: async () => {
        await relay.close();
        await fake.close();
      },
    };
  } catch (error) {
    await fake.close();
    throw error;
  }
}

export function bearer(token: string): Record<string, string> {
  return { Authorization: `Bearer ${token}` };
}

export function ollamaClient(url: string, token = ALICE, fetchImpl?: typeof fetch): Ollama {
  return new Ollama({ host: url, headers: bearer(token), ...(fetchImpl === undefined ? {} : { fetch: fetchImpl }) });
}

export function openaiClient(url: string, token = ALICE): OpenAI {
  return new OpenAI({ baseURL: `${url}/v1`, apiKey: token, maxRetries: 0, timeout: 15_000 });
}

/** A fetch whose requests all also listen to `signal`: the only way to cancel an ollama-js call before its headers arrive. */
export function fetchWithSignal(signal: AbortSignal): typeof fetch {
  return (input, init) => fetch(input, { ...init, signal: init?.signal ? AbortSignal.any([init.signal, signal]) : signal });
}

/** A port on 127.0.0.1 on which nothing listens. */
export async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** The HTTP status carried by an ollama-js ResponseError or an openai APIError. */
export function statusOf(error: unknown): number | undefined {
  if (!isRecord(error)) return undefined;
  if (typeof error.status_code === 'number') return error.status_code;
  if (typeof error.status === 'number') return error.status;
  return undefined;
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Request-id fields a relay log line may use. */
export function requestIdOf(line: Record<string, unknown>): unknown {
  const req = line.req;
  return line.reqId ?? line.requestId ?? line.request_id ?? (isRecord(req) ? req.id : undefined);
}

/** True for a log line that is about one request (it names a route, path, URL, status or method). */
export function isRequestLine(line: Record<string, unknown>): boolean {
  return ['route', 'path', 'url', 'status', 'statusCode', 'method', 'req', 'res', 'model'].some((key) => key in line);
}

// One check over every relay log of the whole run: no secret, no completion text (the fake's replies
// all start with "echo: ") unless that relay was started with LOG_PROMPTS=1.
if (typeof after === 'function') {
  after('no relay log of the whole run holds a secret or a completion', () => {
    for (const capture of allLogCaptures) {
      for (const secret of SECRETS) {
        if (capture.text.includes(secret)) throw new Error(`a relay log contains the secret "${secret.slice(0, 4)}…"`);
      }
      if (!capture.promptsLogged && capture.text.includes('echo: ')) throw new Error('a relay log contains completion text');
    }
  });
}
