// @ts-check
/**
 * The four load scenarios. Each runs every target several times (the order rotated between runs, so no
 * target always goes first) and reports the median over runs of each per-run statistic. Ratios and
 * overheads are computed per run against the baseline measured in the same run, then their median taken.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { runConcurrent, runSequential } from './client.mjs';
import { cpuMs, sampleRss, upstreamStats } from './processes.mjs';
import { max, median, percentile } from './stats.mjs';

/**
 * @typedef {import('./client.mjs').Target} Target
 * @typedef {import('./client.mjs').StreamResult} StreamResult
 * @typedef {import('./rig.mjs').Rig} Rig
 * @typedef {{
 *   warmup: { sequential: number, concurrent: number, tokens: number },
 *   s1: { runs: number, requests: number, tokens: number },
 *   s2: { runs: number, streams: number, tokens: number, delayMs: number },
 *   s3: { runs: number, streams: number, tokens: number },
 *   s4: { runs: number, streams: number, tokens: number, delayMs: number, closeBoundMs: number },
 * }} BenchConfig
 */

/** @type {BenchConfig} */
export const FULL = {
  warmup: { sequential: 300, concurrent: 50, tokens: 500 },
  s1: { runs: 5, requests: 200, tokens: 8 },
  s2: { runs: 3, streams: 100, tokens: 100, delayMs: 10 },
  s3: { runs: 5, streams: 50, tokens: 2_000 },
  s4: { runs: 3, streams: 50, tokens: 200, delayMs: 10, closeBoundMs: 50 },
};

/** A smoke-sized run of the same code paths, for checking the bench itself. */
/** @type {BenchConfig} */
export const QUICK = {
  warmup: { sequential: 50, concurrent: 10, tokens: 100 },
  s1: { runs: 1, requests: 50, tokens: 8 },
  s2: { runs: 1, streams: 100, tokens: 30, delayMs: 10 },
  s3: { runs: 1, streams: 20, tokens: 500 },
  s4: { runs: 1, streams: 20, tokens: 200, delayMs: 10, closeBoundMs: 50 },
};

/**
 * The knobs travel in the prompt so that they pass through every proxy unchanged (see upstream.mjs).
 * @param {{ id: string, tokens: number, delayMs?: number, trace?: boolean }} knobs
 */
export function prompt(knobs) {
  return `bench id=${knobs.id} tokens=${knobs.tokens} delay=${knobs.delayMs ?? 0} trace=${knobs.trace ? 1 : 0}`;
}

/** Frames a complete answer of `tokens` tokens has: NDJSON one per token plus the final record; SSE adds the finish chunk and `[DONE]`. */
function expectedFrames(/** @type {Target} */ target, /** @type {number} */ tokens) {
  return target.framing === 'sse' ? tokens + 2 : tokens + 1;
}

/**
 * Throws on a failed or short stream: a benchmark of broken answers would measure nothing.
 * @param {Target} target @param {StreamResult[]} results @param {number} [tokens]
 */
function requireComplete(target, results, tokens) {
  const broken = results.find((result) => !result.ok || (tokens !== undefined && result.frames !== expectedFrames(target, tokens)));
  if (broken) {
    const detail = broken.error ?? `${broken.frames} frames, expected ${tokens === undefined ? '?' : expectedFrames(target, tokens)}`;
    throw new Error(`${target.name}: ${results.filter((result) => !result.ok).length || 1} of ${results.length} streams failed (${detail})`);
  }
}

/**
 * Opens `streams` overlapping requests so every keep-alive pool on the path (client → proxy → upstream)
 * holds that many warm sockets: servers close idle sockets after a few seconds (Node's default 5 s), and
 * a measured burst should show the cost of forwarding, not of TCP handshakes after an idle scenario.
 * @param {Target} target @param {number} streams
 */
async function primePools(target, streams) {
  requireComplete(target, await runConcurrent(target, streams, (i) => prompt({ id: `prime-${i}`, tokens: 5, delayMs: 2 })), 5);
}

/** @template T @param {readonly T[]} items @param {number} shift */
function rotated(items, shift) {
  const at = shift % items.length;
  return [...items.slice(at), ...items.slice(0, at)];
}

/** Warms the JIT, the keep-alive pools and the relay's /api/show cache on every target. @param {Rig} rig @param {BenchConfig} config */
export async function warmUp(rig, config) {
  for (const target of rig.targets) {
    requireComplete(target, await runSequential(target, config.warmup.sequential, (i) => prompt({ id: `w-${i}`, tokens: 8 })), 8);
    requireComplete(target, await runConcurrent(target, config.warmup.concurrent, (i) => prompt({ id: `wc-${i}`, tokens: config.warmup.tokens })), config.warmup.tokens);
    requireComplete(target, await runConcurrent(target, 100, (i) => prompt({ id: `wd-${i}`, tokens: 10, delayMs: 2 })), 10);
  }
  await upstreamStats(rig.upstream, true);
}

/**
 * @typedef {{ name: string, label: string, p50: number, p95: number, overheadP50: number, overheadP95: number, overPipeP50: number, upstreamConnections: number, cpuUsPerRequest: number | undefined }} TtftRow
 * @param {Rig} rig @param {BenchConfig['s1']} config @returns {Promise<TtftRow[]>}
 */
export async function sequentialTtft(rig, config) {
  /** @type {Map<string, { p50: number[], p95: number[] }>} */
  const perTarget = new Map(rig.targets.map((target) => [target.name, { p50: [], p95: [] }]));
  /** @type {Map<string, { p50: number[], p95: number[] }>} */
  const overheads = new Map(rig.targets.map((target) => [target.name, { p50: [], p95: [] }]));
  /** @type {Map<string, number[]>} */
  const overPipe = new Map(rig.targets.map((target) => [target.name, []]));
  /** @type {Map<string, number>} */
  const connections = new Map(rig.targets.map((target) => [target.name, 0]));
  /** @type {Map<string, number[]>} */
  const cpuPerRequest = new Map(rig.targets.map((target) => [target.name, []]));
  for (let run = 0; run < config.runs; run += 1) {
    /** @type {Map<string, { p50: number, p95: number }>} */
    const thisRun = new Map();
    for (const target of rotated(rig.targets, run)) {
      await upstreamStats(rig.upstream, true);
      const cpuBefore = target.proxyPid === undefined ? 0 : cpuMs(target.proxyPid);
      const results = await runSequential(target, config.requests, (i) => prompt({ id: `s1-${run}-${i}`, tokens: config.tokens }));
      if (target.proxyPid !== undefined) cpuPerRequest.get(target.name)?.push(((cpuMs(target.proxyPid) - cpuBefore) / config.requests) * 1000);
      requireComplete(target, results, config.tokens);
      connections.set(target.name, (connections.get(target.name) ?? 0) + (await upstreamStats(rig.upstream, true)).connections);
      const ttft = results.map((result) => result.ttftMs);
      thisRun.set(target.name, { p50: percentile(ttft, 50), p95: percentile(ttft, 95) });
    }
    const direct = /** @type {{ p50: number, p95: number }} */ (thisRun.get('direct'));
    const pipe = /** @type {{ p50: number, p95: number }} */ (thisRun.get('pipe'));
    for (const [name, figures] of thisRun) {
      perTarget.get(name)?.p50.push(figures.p50);
      perTarget.get(name)?.p95.push(figures.p95);
      overheads.get(name)?.p50.push(figures.p50 - direct.p50);
      overheads.get(name)?.p95.push(figures.p95 - direct.p95);
      overPipe.get(name)?.push(figures.p50 - pipe.p50);
    }
  }
  return rig.targets.map((target) => ({
    name: target.name,
    label: target.label,
    p50: median(perTarget.get(target.name)?.p50 ?? []),
    p95: median(perTarget.get(target.name)?.p95 ?? []),
    overheadP50: median(overheads.get(target.name)?.p50 ?? []),
    overheadP95: median(overheads.get(target.name)?.p95 ?? []),
    overPipeP50: median(overPipe.get(target.name) ?? []),
    upstreamConnections: connections.get(target.name) ?? 0,
    cpuUsPerRequest: cpuPerRequest.get(target.name)?.length ? median(cpuPerRequest.get(target.name) ?? []) : undefined,
  }));
}

/**
 * @typedef {{ p50: number, p95: number, p99: number }} Spread
 * @typedef {{ name: string, label: string, ttft: Spread, total: Spread, rssPeakMb: number | undefined, cpuMsPer1k: number | undefined, ratioToPipe: number | undefined }} ConcurrentRow
 * @param {Rig} rig @param {BenchConfig['s2']} config @returns {Promise<ConcurrentRow[]>}
 */
export async function concurrentStreams(rig, config) {
  /** @type {Map<string, { ttft: Spread[], total: Spread[], rss: number[], cpu: number[], ratio: number[] }>} */
  const perTarget = new Map(rig.targets.map((target) => [target.name, { ttft: [], total: [], rss: [], cpu: [], ratio: [] }]));
  /** @param {number[]} samples @returns {Spread} */
  const spread = (samples) => ({ p50: percentile(samples, 50), p95: percentile(samples, 95), p99: percentile(samples, 99) });
  const figuresOf = (/** @type {string} */ name) => /** @type {{ ttft: Spread[], total: Spread[], rss: number[], cpu: number[], ratio: number[] }} */ (perTarget.get(name));
  for (let run = 0; run < config.runs; run += 1) {
    /** @type {Map<string, number>} */
    const cpuThisRun = new Map();
    for (const target of rotated(rig.targets, run)) {
      await primePools(target, config.streams);
      await upstreamStats(rig.upstream, true);
      const sampler = target.proxyPid === undefined ? undefined : sampleRss(target.proxyPid, 20);
      const cpuBefore = target.proxyPid === undefined ? 0 : cpuMs(target.proxyPid);
      const results = await runConcurrent(target, config.streams, (i) => prompt({ id: `s2-${run}-${i}`, tokens: config.tokens, delayMs: config.delayMs }));
      await sleep(100);
      const cpu = target.proxyPid === undefined ? 0 : cpuMs(target.proxyPid) - cpuBefore;
      const peak = sampler?.stop();
      requireComplete(target, results, config.tokens);
      const { tokens } = await upstreamStats(rig.upstream, true);
      const figures = figuresOf(target.name);
      figures.ttft.push(spread(results.map((result) => result.ttftMs)));
      figures.total.push(spread(results.map((result) => result.totalMs)));
      if (peak !== undefined) figures.rss.push(peak);
      if (target.proxyPid !== undefined) {
        figures.cpu.push((cpu / tokens) * 1000);
        cpuThisRun.set(target.name, (cpu / tokens) * 1000);
      }
    }
    const pipe = cpuThisRun.get('pipe');
    for (const [name, perThousand] of cpuThisRun) if (pipe) figuresOf(name).ratio.push(perThousand / pipe);
  }
  /** @param {Spread[]} spreads @returns {Spread} */
  const medianSpread = (spreads) => ({ p50: median(spreads.map((s) => s.p50)), p95: median(spreads.map((s) => s.p95)), p99: median(spreads.map((s) => s.p99)) });
  return rig.targets.map((target) => {
    const figures = figuresOf(target.name);
    return {
      name: target.name,
      label: target.label,
      ttft: medianSpread(figures.ttft),
      total: medianSpread(figures.total),
      rssPeakMb: figures.rss.length ? max(figures.rss) : undefined,
      cpuMsPer1k: figures.cpu.length ? median(figures.cpu) : undefined,
      ratioToPipe: figures.ratio.length ? median(figures.ratio) : undefined,
    };
  });
}

/**
 * @typedef {{ name: string, label: string, tokens: number, tokensPerSecond: number, cpuMsPer1k: number | undefined, ratioToPipe: number | undefined, upstreamCpuMsPer1k: number }} ThroughputRow
 * @param {Rig} rig @param {BenchConfig['s3']} config @returns {Promise<ThroughputRow[]>}
 */
export async function fullSpeedStreams(rig, config) {
  /** @type {Map<string, { tps: number[], cpu: number[], ratio: number[], upstreamCpu: number[], tokens: number[] }>} */
  const perTarget = new Map(rig.targets.map((target) => [target.name, { tps: [], cpu: [], ratio: [], upstreamCpu: [], tokens: [] }]));
  for (let run = 0; run < config.runs; run += 1) {
    /** @type {Map<string, number>} */
    const cpuThisRun = new Map();
    for (const target of rotated(rig.targets, run)) {
      await primePools(target, config.streams);
      await upstreamStats(rig.upstream, true);
      const proxyCpuBefore = target.proxyPid === undefined ? 0 : cpuMs(target.proxyPid);
      const upstreamCpuBefore = cpuMs(rig.upstream.pid);
      const started = performance.now();
      const results = await runConcurrent(target, config.streams, (i) => prompt({ id: `s3-${run}-${i}`, tokens: config.tokens }));
      const seconds = (performance.now() - started) / 1000;
      // Let the proxy finish its per-request bookkeeping (access record, metrics) inside the window.
      await sleep(100);
      const proxyCpu = target.proxyPid === undefined ? 0 : cpuMs(target.proxyPid) - proxyCpuBefore;
      const upstreamCpu = cpuMs(rig.upstream.pid) - upstreamCpuBefore;
      requireComplete(target, results, config.tokens);
      const { tokens } = await upstreamStats(rig.upstream, true);
      const figures = /** @type {{ tps: number[], cpu: number[], ratio: number[], upstreamCpu: number[], tokens: number[] }} */ (perTarget.get(target.name));
      figures.tokens.push(tokens);
      figures.tps.push(tokens / seconds);
      figures.upstreamCpu.push((upstreamCpu / tokens) * 1000);
      if (target.proxyPid !== undefined) {
        const perThousand = (proxyCpu / tokens) * 1000;
        figures.cpu.push(perThousand);
        cpuThisRun.set(target.name, perThousand);
      }
    }
    const pipe = cpuThisRun.get('pipe');
    for (const [name, perThousand] of cpuThisRun) if (pipe) perTarget.get(name)?.ratio.push(perThousand / pipe);
  }
  return rig.targets.map((target) => {
    const figures = /** @type {{ tps: number[], cpu: number[], ratio: number[], upstreamCpu: number[], tokens: number[] }} */ (perTarget.get(target.name));
    return {
      name: target.name,
      label: target.label,
      tokens: median(figures.tokens),
      tokensPerSecond: median(figures.tps),
      cpuMsPer1k: figures.cpu.length ? median(figures.cpu) : undefined,
      ratioToPipe: figures.ratio.length ? median(figures.ratio) : undefined,
      upstreamCpuMsPer1k: median(figures.upstreamCpu),
    };
  });
}

/**
 * @typedef {{ name: string, label: string, streams: number, tokensAfterAbort: number, writesAfterClose: number, unclosed: number, closeP50: number, closeP95: number, closeMax: number }} AbortRow
 * @param {Rig} rig @param {BenchConfig['s4']} config @returns {Promise<AbortRow[]>}
 */
export async function midStreamAborts(rig, config) {
  /** @type {Map<string, { afterAbort: number, afterClose: number, unclosed: number, streams: number, p50: number[], p95: number[], max: number[] }>} */
  const perTarget = new Map(rig.targets.map((target) => [target.name, { afterAbort: 0, afterClose: 0, unclosed: 0, streams: 0, p50: [], p95: [], max: [] }]));
  // Each stream stops after a different number of tokens (2..40), so the aborts are spread over ~0.4 s.
  /** @param {number} i */
  const abortAfter = (i) => 2 + ((i * 7) % 39);
  for (let run = 0; run < config.runs; run += 1) {
    for (const target of rotated(rig.targets, run)) {
      await primePools(target, config.streams);
      await upstreamStats(rig.upstream, true);
      const id = (/** @type {number} */ i) => `s4-${target.name}-${run}-${i}`;
      const results = await runConcurrent(target, config.streams, (i) => prompt({ id: id(i), tokens: config.tokens, delayMs: config.delayMs, trace: true }), abortAfter);
      const broken = results.find((result) => result.abortedAt === undefined);
      if (broken) throw new Error(`${target.name}: a stream ended before the client aborted it (${broken.error ?? `${broken.frames} frames`})`);
      // Give the slowest close a generous chance to arrive before counting it as never seen.
      const deadline = Date.now() + 2_000;
      let stats = await upstreamStats(rig.upstream);
      while (stats.active > 0 && Date.now() < deadline) {
        await sleep(20);
        stats = await upstreamStats(rig.upstream);
      }
      stats = await upstreamStats(rig.upstream, true);
      const traces = new Map(stats.traces.map((trace) => [trace.id, trace]));
      const figures = /** @type {{ afterAbort: number, afterClose: number, unclosed: number, streams: number, p50: number[], p95: number[], max: number[] }} */ (perTarget.get(target.name));
      /** @type {number[]} */
      const latencies = [];
      results.forEach((result, i) => {
        const trace = traces.get(id(i));
        const abortedAt = /** @type {number} */ (result.abortedAt);
        figures.streams += 1;
        if (!trace) {
          figures.unclosed += 1;
          return;
        }
        figures.afterAbort += trace.writes.filter((at) => at > abortedAt).length;
        if (trace.closedAt === undefined) figures.unclosed += 1;
        else latencies.push(trace.closedAt - abortedAt);
      });
      figures.afterClose += stats.writesAfterClose;
      figures.p50.push(percentile(latencies, 50));
      figures.p95.push(percentile(latencies, 95));
      figures.max.push(max(latencies));
    }
  }
  return rig.targets.map((target) => {
    const figures = /** @type {{ afterAbort: number, afterClose: number, unclosed: number, streams: number, p50: number[], p95: number[], max: number[] }} */ (perTarget.get(target.name));
    return {
      name: target.name,
      label: target.label,
      streams: figures.streams,
      tokensAfterAbort: figures.afterAbort,
      writesAfterClose: figures.afterClose,
      unclosed: figures.unclosed,
      closeP50: median(figures.p50),
      closeP95: median(figures.p95),
      closeMax: max(figures.max),
    };
  });
}
