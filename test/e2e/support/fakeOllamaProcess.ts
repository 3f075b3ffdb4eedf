import path from 'node:path';
import { z } from 'zod';
import { spawnGroup, type GroupProcess } from './processGroup';
import { repoRoot } from './paths';
import { withDeadline } from './deadline';

/** The fake Ollama (test/fakes/fakeOllamaCli.ts) in its own process, driven through its control routes. */

const statsSchema = z.object({
  generationsStarted: z.number(),
  generationsCompleted: z.number(),
  generationsAborted: z.number(),
  generationsFailed: z.number(),
  tokensProduced: z.number(),
  tokensAfterClientGone: z.number(),
  activeGenerations: z.number(),
});

const summarySchema = z.object({
  stats: statsSchema,
  requests: z.array(
    z.object({
      id: z.number(),
      method: z.string(),
      path: z.string(),
      model: z.string().optional(),
      status: z.number().optional(),
      closedEarly: z.boolean(),
    }),
  ),
});

export type FakeSummary = z.infer<typeof summarySchema>;

/** Knobs accepted by `POST /_fake/behave` (see test/fakes/fakeOllama.ts `behaviourSchema`). */
export interface FakeKnobs {
  firstTokenDelayMs?: number;
  tokenDelayMs?: number;
  tokens?: number;
  loadDelayMs?: number;
  errorBeforeStream?: { status: number; message: string };
  /** scope the knobs to one model */
  model?: string;
}

export interface FakeOllama {
  readonly url: string;
  summary(): Promise<FakeSummary>;
  behave(knobs: FakeKnobs): Promise<void>;
  reset(): Promise<void>;
  /** Tells the fake that its user stopped listening: tokens after a short grace count as produced for nobody. */
  clientGone(): Promise<void>;
  stop(): Promise<void>;
}

async function control(url: string, init?: RequestInit): Promise<unknown> {
  const response = await withDeadline(fetch(url, { ...init, signal: AbortSignal.timeout(5000) }), 6000, `fake control ${url}`);
  const body: unknown = await response.json();
  if (!response.ok) throw new Error(`${url} answered ${response.status}: ${JSON.stringify(body)}`);
  return body;
}

export async function startFakeOllama(logDir: string): Promise<FakeOllama> {
  const child: GroupProcess = spawnGroup({
    command: process.execPath,
    args: ['--import', 'tsx', path.join('test', 'fakes', 'fakeOllamaCli.ts'), '--port', '0'],
    cwd: repoRoot,
    logFile: path.join(logDir, 'fake-ollama.log'),
  });
  const match = await child.waitForLine(/FAKE_OLLAMA_URL=(\S+)/, 30_000, 'the fake Ollama URL');
  const url = match[1];
  if (url === undefined) throw new Error('fake Ollama printed no URL');
  return {
    url,
    async summary() {
      return summarySchema.parse(await control(`${url}/_fake/stats`));
    },
    async behave(knobs) {
      await control(`${url}/_fake/behave`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(knobs) });
    },
    async reset() {
      await control(`${url}/_fake/reset`, { method: 'POST' });
    },
    async clientGone() {
      await control(`${url}/_fake/client-gone`, { method: 'POST' });
    },
    stop: () => child.stop(),
  };
}
