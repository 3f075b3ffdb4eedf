/**
 * An in-process relay (the real startRelay) in front of the faithful fake Ollama, with every relay log
 * line captured so tests can prove that no secret is ever written.
 */
import { type FakeOllama, type RecordedRequest, startFakeOllama } from '../../fakes/fakeOllama';
import { isRecord } from '../../support/json';
import { LogCapture } from '../../support/logCapture';
import { type Env, startLocalRelay } from '../../support/relay';
import { startTap, type Tap } from './tap';

export { isRecord };
export type { Env };

export const TOKEN = 'sec-suite-token-7f3a9c';
export const CHAT_MODEL = 'llama3.2:1b';

export interface SecurityRig {
  fake: FakeOllama;
  /** Sits between the relay and the fake: every byte the relay sent toward Ollama. */
  tap: Tap;
  url: string;
  port: number;
  logs: LogCapture;
  close(): Promise<void>;
}

/** A fake Ollama and a relay in front of it; `env` adds to or overrides the relay's environment. */
export async function startSecurityRig(env: Env = {}): Promise<SecurityRig> {
  const fake = await startFakeOllama();
  const tap = await startTap(Number(new URL(fake.url).port));
  const logs = new LogCapture();
  try {
    const { relay, close } = await startLocalRelay({
      env: {
        OLLAMA_HOST: tap.url,
        RELAY_TOKENS: `security:${TOKEN}`,
        LOG_LEVEL: 'debug',
        // The relay probes its upstreams (GET /api/ps) on its own; keep that out of the way of the counts.
        UPSTREAM_PROBE_INTERVAL_MS: '3600000',
        ...env,
      },
      logStream: logs,
    });
    return {
      fake,
      tap,
      url: relay.url,
      port: relay.port,
      logs,
      async close() {
        await close();
        await tap.close();
        await fake.close();
      },
    };
  } catch (error) {
    await tap.close();
    await fake.close();
    throw error;
  }
}

/** The relay's own health probe, which is not something an editor asked for. */
function isProbe(method: string, path: string): boolean {
  return method === 'GET' && path === '/api/ps';
}

/** Requests that reached Ollama on an editor's behalf (the relay's own probes left out). */
export function forwarded(fake: FakeOllama): RecordedRequest[] {
  return fake.requests.filter((r) => !isProbe(r.method, r.path));
}

/** Request lines (`METHOD /path`) in bytes the relay sent upstream, probes left out; partial requests count. */
export function requestLines(sent: string): string[] {
  return [...sent.matchAll(/^([A-Z]+) (\S+) HTTP\/1\.[01]\r?$/gm)].map((m) => `${m[1]} ${m[2]}`).filter((line) => !isProbe(line.split(' ')[0]!, line.split(' ')[1]!));
}

export function chatBody(content: string, stream = true): string {
  return JSON.stringify({ model: CHAT_MODEL, messages: [{ role: 'user', content }], stream });
}

/** The NDJSON records of a native streaming answer. */
export function ndjsonRecords(body: string): Array<Record<string, unknown>> {
  return body
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const value: unknown = JSON.parse(line);
      if (!isRecord(value)) throw new Error(`not an NDJSON object: ${line}`);
      return value;
    });
}

/** The `error` text of a native error body, or the body itself. */
export function errorText(body: string): string {
  try {
    const value: unknown = JSON.parse(body);
    if (isRecord(value) && typeof value.error === 'string') return value.error;
  } catch {
    // not JSON: the raw text is the best description
  }
  return body;
}

/** A normal authenticated chat through the relay: proves it still serves after a hostile request. */
export async function assertServesChat(url: string, content = 'still there'): Promise<void> {
  const response = await fetch(`${url}/api/chat`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json' },
    body: chatBody(content),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await response.text();
  if (response.status !== 200) throw new Error(`relay no longer serves a normal chat: ${response.status} ${text}`);
  const records = ndjsonRecords(text);
  const last = records.at(-1);
  if (last?.done !== true) throw new Error(`relay chat did not finish with done:true: ${text}`);
  const reply = records.map((r) => (isRecord(r.message) && typeof r.message.content === 'string' ? r.message.content : '')).join('');
  if (!reply.includes(content)) throw new Error(`relay chat reply does not echo "${content}": ${reply}`);
}
