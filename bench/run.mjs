// @ts-check
/**
 * `npm run bench`: builds the relay, runs the four load scenarios against direct / pipe proxy / relay
 * (native and OpenAI-compatible), prints each table and rewrites docs/benchmarks.md.
 *
 * Flags: `--quick` smoke-sized run (does not touch docs/ unless `--write`), `--no-write` keep docs/ as
 * it is, `--strict` exit 1 when a target is missed (a broken stream always exits 1).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startContentionMeter } from './lib/contention.mjs';
import { memoryMb } from './lib/processes.mjs';
import { buildRelay, startRig, REPO_ROOT } from './lib/rig.mjs';
import { abortTable, concurrentTable, evaluate, machine, markdown, throughputTable, ttftTable, verdictTable } from './lib/report.mjs';
import { concurrentStreams, fullSpeedStreams, FULL, midStreamAborts, QUICK, sequentialTtft, warmUp } from './lib/scenarios.mjs';

const flags = new Set(process.argv.slice(2));
const quick = flags.has('--quick');
const write = quick ? flags.has('--write') : !flags.has('--no-write');
const config = quick ? QUICK : FULL;

/**
 * The relay's V8 heap (used / total MiB) from its own /metrics, to tell live data from heap sizing when
 * reading its RSS; undefined when the relay does not export Node's default metrics.
 * @param {import('./lib/rig.mjs').Rig} rig
 */
async function relayHeap(rig) {
  try {
    const response = await fetch(`${rig.relay.url}/metrics`, { headers: rig.target('relay-native').headers, signal: AbortSignal.timeout(5_000) });
    const text = await response.text();
    /** @param {string} name */
    const mb = (name) => Number(new RegExp(`^\\w*${name} (\\S+)$`, 'm').exec(text)?.[1]) / 1024 ** 2;
    const used = mb('nodejs_heap_size_used_bytes');
    const total = mb('nodejs_heap_size_total_bytes');
    return Number.isFinite(used) && Number.isFinite(total) ? { used, total } : undefined;
  } catch {
    return undefined;
  }
}

/** @param {string} title @param {string} body */
function print(title, body) {
  process.stdout.write(`\n## ${title}\n\n${body}\n`);
}

async function main() {
  const began = performance.now();
  const host = machine();
  process.stdout.write(`Relay benchmark${quick ? ' (quick)' : ''}: ${host.cpu}, ${host.cores} cores, Node ${host.node}\n`);
  buildRelay();
  const meter = startContentionMeter();
  const logDir = mkdtempSync(path.join(os.tmpdir(), 'aide-bench-'));
  const rig = await startRig({ logDir });
  const relayRssAtStart = memoryMb(rig.relay.pid).rss;
  let failed = false;
  try {
    process.stdout.write('warming up…\n');
    await warmUp(rig, config);
    const s1 = await sequentialTtft(rig, config.s1);
    print('1. One stream at a time: TTFT', ttftTable(s1, config.s1));
    const s2 = await concurrentStreams(rig, config.s2);
    print(`2. ${config.s2.streams} concurrent streams`, concurrentTable(s2, config.s2));
    const s3 = await fullSpeedStreams(rig, config.s3);
    print('3. Full speed: CPU per token and throughput', throughputTable(s3, config.s3));
    const s4 = await midStreamAborts(rig, config.s4);
    print('4. Client aborts mid-stream', abortTable(s4, config.s4));

    const results = { s1, s2, s3, s4 };
    const verdicts = evaluate(results, config);
    print('Targets', verdictTable(verdicts));
    const relayRss = { atStart: relayRssAtStart, highWater: memoryMb(rig.relay.pid).hwm, heap: await relayHeap(rig) };
    const contention = meter.finish([rig.upstream.pid, rig.pipe.pid, rig.relay.pid]);
    process.stdout.write(
      `\nother load on the machine: ${(contention.otherShare * 100).toFixed(0)} % of its CPU (steal ${(contention.stealShare * 100).toFixed(0)} %), load average ${contention.loadAtEnd.map((v) => v.toFixed(2)).join(' / ')}\n`,
    );
    const seconds = (performance.now() - began) / 1000;
    if (write) {
      const file = path.join(REPO_ROOT, 'docs', 'benchmarks.md');
      writeFileSync(file, markdown({ results, verdicts, config, quick, date: new Date(), contention, relayRss }));
      process.stdout.write(`\nwrote ${path.relative(REPO_ROOT, file)} (${seconds.toFixed(0)} s)\n`);
    } else {
      process.stdout.write(`\n(${seconds.toFixed(0)} s; docs/benchmarks.md left as it was)\n`);
    }
    if (flags.has('--strict') && verdicts.some((verdict) => !verdict.pass)) failed = true;
  } catch (error) {
    process.stderr.write(`bench failed: ${error instanceof Error ? error.message : String(error)}\nprocess logs are in ${logDir}\n`);
    failed = true;
  } finally {
    await rig.stop();
  }
  if (!failed) rmSync(logDir, { recursive: true, force: true });
  process.exitCode = failed ? 1 : 0;
}

await main();
