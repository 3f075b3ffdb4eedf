// @ts-check
/**
 * Finds the relay's hot path: runs scenario 3 (concurrent streams at full speed) against a relay started
 * under `node --cpu-prof`, one relay process per route, and prints the functions with the most self
 * time, mapped to `server/*.ts` lines through dist/server.js.map, plus self time per file/package.
 *
 *   node bench/profile.mjs [--route native|openai|both] [--workload stream|requests] [--runs 3]
 *                          [--streams 50] [--tokens 2000] [--requests 3000] [--top 25] [--keep]
 *
 * `--workload requests` profiles the per-request path instead (scenario 1: short streams one after
 * another), which is where time-to-first-token overhead comes from.
 * `--keep` leaves the .cpuprofile files (open them in Chrome DevTools → Performance, or speedscope).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { runConcurrent, runSequential } from './lib/client.mjs';
import { readProfile, selfTimes, sourceMapper } from './lib/cpuprofile.mjs';
import { cpuMs, startService, upstreamStats } from './lib/processes.mjs';
import { fmt, table } from './lib/report.mjs';
import { buildRelay, REPO_ROOT, relayTargets, startRelay } from './lib/rig.mjs';
import { prompt } from './lib/scenarios.mjs';

const { values } = parseArgs({
  options: {
    route: { type: 'string', default: 'both' },
    workload: { type: 'string', default: 'stream' },
    requests: { type: 'string', default: '3000' },
    runs: { type: 'string', default: '3' },
    streams: { type: 'string', default: '50' },
    tokens: { type: 'string', default: '2000' },
    top: { type: 'string', default: '25' },
    keep: { type: 'boolean', default: false },
  },
});
const routes = values.route === 'both' ? ['native', 'openai'] : [values.route];
if (!routes.every((route) => route === 'native' || route === 'openai')) throw new Error('--route must be native, openai or both');
const runs = Number(values.runs);
const streams = Number(values.streams);
const tokens = Number(values.tokens);
const top = Number(values.top);
const requests = Number(values.requests);
const perRequest = values.workload === 'requests';
if (!perRequest && values.workload !== 'stream') throw new Error('--workload must be stream or requests');

buildRelay();
const workDir = mkdtempSync(path.join(os.tmpdir(), 'aide-profile-'));
const upstream = await startService({ name: 'upstream', script: path.join(REPO_ROOT, 'bench', 'upstream.mjs'), env: {}, readyPath: '/', logDir: workDir, ipc: true });
const mapper = sourceMapper(REPO_ROOT);
try {
  for (const route of routes) {
    const profileDir = path.join(workDir, `profile-${route}`);
    const token = randomBytes(24).toString('base64url');
    const relay = await startRelay({
      upstreamUrl: upstream.url,
      token,
      logDir: workDir,
      name: `relay-${route}`,
      nodeArgs: ['--cpu-prof', '--cpu-prof-dir', profileDir, '--cpu-prof-interval', '200'],
    });
    const target = relayTargets(relay, token).find((candidate) => candidate.name === `relay-${route}`);
    if (!target) throw new Error(`no target for ${route}`);
    let cpu = 0;
    let produced = 0;
    try {
      await runSequential(target, 100, (i) => prompt({ id: `pw-${i}`, tokens: 8 }));
      await runConcurrent(target, streams, (i) => prompt({ id: `pwc-${i}`, tokens: 200 }));
      await upstreamStats(upstream, true);
      for (let run = 0; run < runs; run += 1) {
        const before = cpuMs(relay.pid);
        const results = perRequest
          ? await runSequential(target, requests, (i) => prompt({ id: `p-${run}-${i}`, tokens: 8 }))
          : await runConcurrent(target, streams, (i) => prompt({ id: `p-${run}-${i}`, tokens }));
        cpu += cpuMs(relay.pid) - before;
        const failed = results.filter((result) => !result.ok);
        if (failed.length) throw new Error(`${failed.length} streams failed: ${failed[0]?.error}`);
      }
      produced = (await upstreamStats(upstream, true)).tokens;
    } finally {
      target.agent.destroy();
      // SIGTERM lets the relay exit normally, which is when V8 writes the profile.
      await relay.stop();
    }
    const file = readdirSync(profileDir).find((name) => name.endsWith('.cpuprofile'));
    if (!file) throw new Error(`the relay wrote no profile into ${profileDir} (see ${relay.logFile})`);
    const { totalMs, functions, files } = selfTimes(readProfile(path.join(profileDir, file)), mapper);
    const routeName = route === 'native' ? 'native /api/chat' : '/v1/chat/completions (SSE)';
    const load = perRequest ? `${runs} × ${requests} sequential requests of 8 tokens` : `${runs} × ${streams} concurrent streams × ${tokens} tokens`;
    const cost = perRequest ? `${fmt((cpu / (runs * requests)) * 1000, 0)} µs CPU per request` : `${fmt((cpu / produced) * 1000)} ms CPU per 1 000 tokens`;
    process.stdout.write(`\n## relay, ${routeName}: ${load}\n\n${cost} (profiler on); ${fmt(totalMs, 0)} ms of non-idle samples, warm-up included.\n\n`);
    process.stdout.write(`${table(['self ms', 'share', 'function', 'where'], functions.slice(0, top).map((f) => [fmt(f.selfMs, 1), `${fmt(f.share * 100, 1)} %`, f.name, f.where || '–']))}\n\n`);
    process.stdout.write(`${table(['self ms', 'share', 'file or package'], files.slice(0, 15).map((f) => [fmt(f.selfMs, 1), `${fmt(f.share * 100, 1)} %`, f.file]))}\n`);
    if (values.keep) process.stdout.write(`\nprofile kept: ${path.join(profileDir, file)}\n`);
  }
} finally {
  await upstream.stop();
  if (!values.keep) rmSync(workDir, { recursive: true, force: true });
}
