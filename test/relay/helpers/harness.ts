/**
 * Starts the relay under test against a fake Ollama, with its logs captured, and tears both down.
 * Every log line written by any relay in the run is kept, so a root hook can prove that no secret and no
 * completion text ever reached a log.
 */
import { Ollama } from 'ollama';
import OpenAI from 'openai';
import { type FakeOllama, type FakeOllamaOptions, startFakeOllama } from '../../fakes/fakeOllama';
import { isRecord } from '../../support/json';
import { LogCapture } from '../../support/logCapture';
import { type Env, localRelayEnv, startLocalRelay } from '../../support/relay';

export type { Env };

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

/** Every capture of the run, with whether its relay was allowed to log prompts; checked once at the end. */
export const allLogCaptures: Array<{ logs: LogCapture; promptsLogged: boolean }> = [];

export interface RunningRelay {
  url: string;
  logs: LogCapture;
  dataDir: string;
  close(): Promise<void>;
}

/** The suite's environment for a relay in front of `upstream`; `overrides` win (undefined removes a variable). */
function suiteEnv(upstream: string, overrides: Env): Env {
  return { OLLAMA_HOST: upstream, RELAY_TOKENS, LOG_LEVEL: 'debug', ...overrides };
}

/** Base environment for a relay in front of `upstream`; `overrides` win (undefined removes a variable). */
export function relayEnv(upstream: string, dataDir: string, overrides: Env = {}): Env {
  return localRelayEnv(dataDir, suiteEnv(upstream, overrides));
}

/** Starts a relay; a data directory passed in is left in place on close, one made here is removed. */
export async function startRelayFor(upstream: string, overrides: Env = {}, givenDataDir?: string): Promise<RunningRelay> {
  const logs = new LogCapture();
  allLogCaptures.push({ logs, promptsLogged: overrides.LOG_PROMPTS === '1' });
  for (const secret of [overrides.OLLAMA_API_KEY, overrides.METRICS_TOKEN]) if (secret !== undefined && !SECRETS.includes(secret)) SECRETS.push(secret);
  const started = await startLocalRelay({ env: suiteEnv(upstream, overrides), logStream: logs, dataDir: givenDataDir });
  return { url: started.relay.url, logs, dataDir: started.dataDir, close: started.close };
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
    for (const { logs, promptsLogged } of allLogCaptures) {
      for (const secret of SECRETS) {
        if (logs.text.includes(secret)) throw new Error(`a relay log contains the secret "${secret.slice(0, 4)}…"`);
      }
      if (!promptsLogged && logs.text.includes('echo: ')) throw new Error('a relay log contains completion text');
    }
  });
}
