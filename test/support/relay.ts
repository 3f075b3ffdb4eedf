/**
 * The real relay (startRelay) started in this process for a test: listening on 127.0.0.1 on a free port,
 * with its own data directory, and closed together with that directory.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import { loadConfig } from '../../server/config';
import { startRelay, type RunningRelay } from '../../server/relay';

/** A relay environment; a variable set to undefined is left out. */
export type Env = Record<string, string | undefined>;

export function makeDataDir(): string {
  return mkdtempSync(join(tmpdir(), 'aide-relay-test-'));
}

/** `env` on top of a loopback listener on a free port and `dataDir`; `env` wins, undefined values are dropped. */
export function localRelayEnv(dataDir: string, env: Env): Env {
  const merged: Env = { PORT: '0', HOST: '127.0.0.1', RELAY_DATA_DIR: dataDir, ...env };
  return Object.fromEntries(Object.entries(merged).filter(([, value]) => value !== undefined));
}

export interface LocalRelayOptions {
  /** The suite's environment for the relay (upstreams, tokens, log level and whatever the test sets). */
  env: Env;
  /** Where the relay's logger writes, usually a LogCapture. */
  logStream: Writable;
  /** A data directory to use and leave in place; by default one is made here and removed on close. */
  dataDir?: string;
}

export interface LocalRelay {
  relay: RunningRelay;
  dataDir: string;
  /** Closes the relay, then removes the data directory if it was made here. */
  close(): Promise<void>;
}

export async function startLocalRelay(options: LocalRelayOptions): Promise<LocalRelay> {
  const dataDir = options.dataDir ?? makeDataDir();
  const removeDataDir = (): void => {
    if (options.dataDir === undefined) rmSync(dataDir, { recursive: true, force: true });
  };
  let relay: RunningRelay;
  try {
    relay = await startRelay(loadConfig(localRelayEnv(dataDir, options.env)), { logStream: options.logStream });
  } catch (error) {
    removeDataDir();
    throw error;
  }
  return {
    relay,
    dataDir,
    close: async () => {
      try {
        await relay.close();
      } finally {
        removeDataDir();
      }
    },
  };
}
