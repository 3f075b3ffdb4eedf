import fs from 'node:fs';
import path from 'node:path';
import { spawnGroup, type GroupProcess } from './processGroup';
import { repoRoot } from './paths';
import { waitUntil } from './deadline';
import { freeLoopbackPort, isListening } from './ports';

/** The built relay (`node dist/server.js`) on a fixed loopback port, so it can be stopped and started again there. */
export interface Relay {
  readonly url: string;
  readonly port: number;
  /** a valid client token (configured through RELAY_TOKENS) */
  readonly token: string;
  isRunning(): boolean;
  start(): Promise<void>;
  /** graceful stop (SIGTERM: the relay drains) */
  stop(): Promise<void>;
  /** crash (SIGKILL: no drain, connections reset) */
  kill(): Promise<void>;
}

export interface RelayOptions {
  readonly ollamaUrl: string;
  readonly token: string;
  readonly workDir: string;
}

export async function createRelay(options: RelayOptions): Promise<Relay> {
  const serverJs = path.join(repoRoot, 'dist', 'server.js');
  if (!fs.existsSync(serverJs)) throw new Error(`${serverJs} is missing: run "npm run build" first`);
  const port = await freeLoopbackPort();
  const dataDir = path.join(options.workDir, 'relay-data');
  fs.mkdirSync(dataDir, { recursive: true });
  const url = `http://127.0.0.1:${port}`;
  let child: GroupProcess | undefined;
  let generation = 0;

  const relay: Relay = {
    url,
    port,
    token: options.token,
    isRunning: () => child !== undefined && !child.exited(),
    async start() {
      if (relay.isRunning()) return;
      generation += 1;
      const started = spawnGroup({
        command: process.execPath,
        args: [serverJs],
        cwd: repoRoot,
        logFile: path.join(options.workDir, `relay-${generation}.log`),
        env: {
          ...process.env,
          HOST: '127.0.0.1',
          PORT: String(port),
          OLLAMA_HOST: options.ollamaUrl,
          RELAY_TOKENS: `e2e:${options.token}`,
          RELAY_DATA_DIR: dataDir,
          LOG_LEVEL: 'info',
        },
      });
      child = started;
      await waitUntil(
        async () => {
          const response = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(1000) });
          return response.ok;
        },
        {
          what: `relay /healthz on ${url}`,
          timeoutMs: 20_000,
          failIf: () => (started.exited() ? `the relay exited:\n${started.output().slice(-3000)}` : undefined),
        },
      );
    },
    async stop() {
      await child?.stop();
      child = undefined;
      await waitUntil(async () => !(await isListening(port)), { what: `port ${port} to close`, timeoutMs: 5000 });
    },
    async kill() {
      await child?.stop(0);
      child = undefined;
      await waitUntil(async () => !(await isListening(port)), { what: `port ${port} to close`, timeoutMs: 5000 });
    },
  };
  await relay.start();
  return relay;
}
