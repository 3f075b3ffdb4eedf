import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { once } from 'node:events';
import { settlesWithin, sleep, waitUntil } from './deadline';

/**
 * A child process started in its own process group (`detached`), so that stopping it also stops
 * everything it spawned (code-server's extension host and file watchers, for example).
 * Output goes to a log file and is kept in memory so that tests can wait for a line.
 */
export interface GroupProcess {
  readonly pid: number;
  readonly logFile: string;
  /** output so far (stdout and stderr interleaved) */
  output(): string;
  exited(): boolean;
  /** resolves with the first output line that matches `pattern`; rejects if the process exits first */
  waitForLine(pattern: RegExp, timeoutMs: number, what: string): Promise<RegExpMatchArray>;
  /** SIGTERM to the group, SIGKILL after `graceMs` (at once when 0); resolves when the group is gone */
  stop(graceMs?: number): Promise<void>;
}

const running = new Set<number>();

// Safety net: a test process that dies without its `after` hooks must not leave editors or relays behind.
process.once('exit', () => {
  for (const pid of running) killGroup(pid, 'SIGKILL');
});

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: the group is already gone
  }
}

function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

export interface SpawnGroupOptions {
  readonly command: string;
  readonly args: readonly string[];
  readonly logFile: string;
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
}

export function spawnGroup(options: SpawnGroupOptions): GroupProcess {
  const log = fs.createWriteStream(options.logFile, { flags: 'a' });
  const child: ChildProcess = spawn(options.command, [...options.args], {
    cwd: options.cwd,
    env: options.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error(`could not start ${options.command}`);
  running.add(pid);
  let text = '';
  const onData = (chunk: Buffer): void => {
    text += chunk.toString('utf8');
    log.write(chunk);
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  let hasExited = false;
  const exitPromise = once(child, 'exit').then(() => {
    hasExited = true;
  });

  return {
    pid,
    logFile: options.logFile,
    output: () => text,
    exited: () => hasExited,
    async waitForLine(pattern, timeoutMs, what) {
      try {
        return await waitUntil(() => text.match(pattern) ?? undefined, {
          what,
          timeoutMs,
          intervalMs: 50,
          failIf: () => (hasExited ? `${options.command} exited` : undefined),
        });
      } catch (error: unknown) {
        throw new Error(`${error instanceof Error ? error.message : String(error)}\n--- output ---\n${text.slice(-3000)}`);
      }
    },
    async stop(graceMs = 5000) {
      if (!hasExited) killGroup(pid, graceMs === 0 ? 'SIGKILL' : 'SIGTERM');
      const exitedInTime = await settlesWithin(exitPromise, graceMs);
      if (!exitedInTime) killGroup(pid, 'SIGKILL');
      // The leader may be gone while its children (extension host, watchers) still wind down.
      const deadline = Date.now() + 3000;
      while (groupAlive(pid) && Date.now() < deadline) await sleep(50);
      if (groupAlive(pid)) killGroup(pid, 'SIGKILL');
      await settlesWithin(exitPromise, 2000);
      running.delete(pid);
      await new Promise<void>((resolve) => log.end(resolve));
    },
  };
}
