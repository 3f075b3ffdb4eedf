// @ts-check
/**
 * The processes under test: each one is its own child, on a port picked here, so that its CPU time and
 * memory can be read from /proc alone (the whole process: every thread, the GC included).
 */
import { fork, spawn, execFileSync } from 'node:child_process';
import { openSync, closeSync, readdirSync, readFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * @typedef {import('node:child_process').ChildProcess} ChildProcess
 * @typedef {{ name: string, url: string, pid: number, child: ChildProcess, logFile: string, stop(): Promise<void> }} Service
 * @typedef {import('../upstream.mjs').UpstreamStats} UpstreamStats
 */

const CLOCK_TICKS_PER_SECOND = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** A port that was free a moment ago (the child binds it; a lost race is retried with another one). */
export async function freePort() {
  const server = net.createServer();
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(undefined));
  });
  const address = server.address();
  await new Promise((resolve) => server.close(() => resolve(undefined)));
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  return address.port;
}

/**
 * CPU milliseconds the process has used so far, all of its threads (JS, GC, libuv pool) included.
 * Summed from each thread's schedstat (nanoseconds on a CPU) rather than /proc/<pid>/stat, whose 10 ms
 * ticks are too coarse for a run of a few hundred CPU milliseconds. Node's threads live as long as the
 * process, so none of them takes its time away by exiting; without schedstat, the ticks are used.
 */
export function cpuMs(/** @type {number} */ pid) {
  try {
    let nanoseconds = 0;
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        nanoseconds += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
      } catch {
        // the thread exited between the listing and the read
      }
    }
    if (Number.isFinite(nanoseconds) && nanoseconds > 0) return nanoseconds / 1e6;
  } catch {
    // no schedstat on this kernel
  }
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may contain spaces: count fields after its closing parenthesis.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_SECOND;
}

/**
 * Whole-machine CPU counters from /proc/stat, in milliseconds summed over all cores: time spent busy
 * (user, nice, system, irq, softirq) and time the hypervisor gave to other guests (steal).
 */
export function machineCpuMs() {
  const fields = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '').trim().split(/\s+/).slice(1).map(Number);
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = fields;
  const toMs = (/** @type {number} */ ticks) => (ticks * 1000) / CLOCK_TICKS_PER_SECOND;
  return { busy: toMs(user + nice + system + irq + softirq), steal: toMs(steal) };
}

/** Resident set size and its high-water mark, in MiB. */
export function memoryMb(/** @type {number} */ pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  /** @param {string} key */
  const kb = (key) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN);
  return { rss: kb('VmRSS') / 1024, hwm: kb('VmHWM') / 1024 };
}

/**
 * Samples a process's RSS every `everyMs` until stopped; returns the peak.
 * @param {number} pid @param {number} everyMs
 */
export function sampleRss(pid, everyMs = 20) {
  let peak = memoryMb(pid).rss;
  const timer = setInterval(() => {
    try {
      peak = Math.max(peak, memoryMb(pid).rss);
    } catch {
      // the process is gone; the peak so far stands
    }
  }, everyMs);
  return {
    stop() {
      clearInterval(timer);
      try {
        peak = Math.max(peak, memoryMb(pid).rss);
      } catch {
        // gone
      }
      return peak;
    },
  };
}

/** @param {string} url @param {string} readyPath @param {ChildProcess} child @param {string} logFile */
async function waitReady(url, readyPath, child, logFile) {
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`exited (${child.exitCode ?? child.signalCode}) before it was ready:\n${tail(logFile)}`);
    }
    const status = await new Promise((resolve) => {
      const request = http.get(`${url}${readyPath}`, { agent: false, timeout: 1_000 }, (res) => {
        res.resume();
        resolve(res.statusCode);
      });
      request.on('timeout', () => request.destroy());
      request.on('error', () => resolve(0));
    });
    if (status === 200) return;
    if (Date.now() > deadline) throw new Error(`not ready after 15 s (last status ${status}):\n${tail(logFile)}`);
    await sleep(50);
  }
}

/** @param {string} file */
function tail(file) {
  try {
    return readFileSync(file, 'utf8').slice(-2_000);
  } catch {
    return '(no log)';
  }
}

/**
 * Starts a Node program as a child on a free port and waits until `readyPath` answers 200.
 * Its stdout/stderr go to a log file, so the child never blocks on a pipe the bench forgot to read.
 * @param {{ name: string, script: string, nodeArgs?: string[], args?: string[], env: Record<string, string>, readyPath: string, logDir: string, ipc?: boolean }} options
 * @returns {Promise<Service>}
 */
export async function startService(options) {
  let lastError;
  for (let attempt = 1; attempt <= 3; attempt += 1) {
    const port = await freePort();
    const logFile = path.join(options.logDir, `${options.name}.log`);
    const log = openSync(logFile, 'a');
    const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...options.env, PORT: String(port), HOST: '127.0.0.1' };
    const child = options.ipc
      ? fork(options.script, options.args ?? [], { env, execArgv: options.nodeArgs ?? [], stdio: ['ignore', log, log, 'ipc'] })
      : spawn(process.execPath, [...(options.nodeArgs ?? []), options.script, ...(options.args ?? [])], { env, stdio: ['ignore', log, log] });
    closeSync(log);
    const url = `http://127.0.0.1:${port}`;
    const service = {
      name: options.name,
      url,
      pid: /** @type {number} */ (child.pid),
      child,
      logFile,
      stop: () => stopChild(child),
    };
    try {
      await waitReady(url, options.readyPath, child, logFile);
      return service;
    } catch (error) {
      lastError = error;
      await stopChild(child);
    }
  }
  throw new Error(`${options.name}: ${lastError instanceof Error ? lastError.message : String(lastError)}`);
}

/** SIGTERM, then SIGKILL if the child has not exited within 10 s (a relay drains first). */
export async function stopChild(/** @type {ChildProcess} */ child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', () => resolve(undefined)));
  child.kill('SIGTERM');
  const killed = await Promise.race([exited.then(() => true), sleep(10_000).then(() => false)]);
  if (!killed) {
    child.kill('SIGKILL');
    await exited;
  }
}

/**
 * Asks the bench upstream (a forked child) for its counters, optionally resetting them.
 * @param {Service} upstream @param {boolean} reset
 * @returns {Promise<UpstreamStats>}
 */
export function upstreamStats(upstream, reset = false) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('upstream did not answer the stats request within 5 s')), 5_000);
    /** @param {unknown} message */
    const onMessage = (message) => {
      if (typeof message !== 'object' || message === null || !('type' in message) || message.type !== 'stats' || !('stats' in message)) return;
      clearTimeout(timer);
      upstream.child.off('message', onMessage);
      resolve(/** @type {UpstreamStats} */ (message.stats));
    };
    upstream.child.on('message', onMessage);
    upstream.child.send({ type: 'stats', reset });
  });
}
