/**
 * The real Caddy, run from deploy/ollama-host/Caddyfile with its {$VAR} placeholders pointed at test
 * files and ports. Caddy's own state (certificates, autosave) goes to a temporary HOME/XDG tree and its
 * admin endpoint is off, so a test run writes nothing outside its temporary directory.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Context } from 'mocha';
import { freePort, portAccepts, spawnTracked, type TrackedChild, waitUntil } from './processes';

export const CADDYFILE = resolve(__dirname, '../../../deploy/ollama-host/Caddyfile');

export function caddyVersion(): string | undefined {
  try {
    return execFileSync('caddy', ['version'], { stdio: 'pipe', timeout: 10_000 }).toString('utf8').trim();
  } catch {
    return undefined;
  }
}

/** Skips the suite when Caddy is missing, except in CI where a missing Caddy is a failure. */
export function requireCaddy(context: Context): void {
  if (caddyVersion() !== undefined) return;
  const hint = 'caddy is not installed: apt-get install -y caddy';
  if (process.env.CI) throw new Error(`${hint} (required in CI)`);
  console.log(`      skipped: ${hint}`);
  context.skip();
}

export interface RunningCaddy {
  port: number;
  url: string;
  logs(): string;
  close(): Promise<void>;
}

export interface CaddyOptions {
  /** Scratch directory for Caddy's HOME and XDG directories. */
  stateDir: string;
  /** Placeholder values for the Caddyfile (OLLAMA_UPSTREAM, TLS_CERT_FILE, …); OLLAMA_SITE is set here. */
  env: Record<string, string>;
}

export async function startCaddy(options: CaddyOptions): Promise<RunningCaddy> {
  const port = await freePort();
  const home = join(options.stateDir, 'home');
  for (const dir of [home, join(options.stateDir, 'data'), join(options.stateDir, 'config')]) mkdirSync(dir, { recursive: true });
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: home,
    XDG_DATA_HOME: join(options.stateDir, 'data'),
    XDG_CONFIG_HOME: join(options.stateDir, 'config'),
    CADDY_ADMIN: 'off',
    OLLAMA_SITE: `https://:${port}`,
    ...options.env,
  };
  const caddy: TrackedChild = spawnTracked('caddy', ['run', '--config', CADDYFILE, '--adapter', 'caddyfile'], { cwd: options.stateDir, env });
  try {
    await waitUntil(async () => {
      if (caddy.hasExited()) throw new Error(`caddy exited early:\n${caddy.output()}`);
      return portAccepts(port);
    }, 15_000, `caddy to listen on 127.0.0.1:${port}`);
  } catch (error) {
    await caddy.stop(1_000);
    throw error;
  }
  return {
    port,
    url: `https://127.0.0.1:${port}`,
    logs: () => caddy.output(),
    async close() {
      await caddy.stop(3_000);
    },
  };
}
