/**
 * An in-process relay (the real startRelay) in front of the faithful fake Ollama, with every relay log
 * line captured so tests can prove that no secret is ever written.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { loadConfig } from '../../../server/config';
import { startRelay } from '../../../server/relay';
import { type FakeOllama, startFakeOllama } from '../../fakes/fakeOllama';

export const TOKEN = 'sec-suite-token-7f3a9c';
export const CHAT_MODEL = 'llama3.2:1b';

export class LogSink extends Writable {
  private readonly chunks: string[] = [];

  override _write(chunk: Buffer | string, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.chunks.push(typeof chunk === 'string' ? chunk : chunk.toString('utf8'));
    callback();
  }

  get text(): string {
    return this.chunks.join('');
  }
}

export interface SecurityRig {
  fake: FakeOllama;
  url: string;
  port: number;
  logs: LogSink;
  close(): Promise<void>;
}

export type Env = Record<string, string | undefined>;

/** A fake Ollama and a relay in front of it; `env` adds to or overrides the relay's environment. */
export async function startSecurityRig(env: Env = {}): Promise<SecurityRig> {
  const fake = await startFakeOllama();
  const dataDir = mkdtempSync(join(tmpdir(), 'aide-sec-relay-'));
  const logs = new LogSink();
  try {
    const config = loadConfig({
      PORT: '0',
      HOST: '127.0.0.1',
      OLLAMA_HOST: fake.url,
      RELAY_TOKENS: `security:${TOKEN}`,
      RELAY_DATA_DIR: dataDir,
      LOG_LEVEL: 'debug',
      ...env,
    });
    const relay = await startRelay(config, { logStream: logs });
    return {
      fake,
      url: relay.url,
      port: relay.port,
      logs,
      async close() {
        await relay.close();
        await fake.close();
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await fake.close();
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
}

export function chatBody(content: string, stream = true): string {
  return JSON.stringify({ model: CHAT_MODEL, messages: [{ role: 'user', content }], stream });
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
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
