// @ts-check
/**
 * Reads a V8 `.cpuprofile` (as written by `node --cpu-prof`) and ranks functions by self time, mapping
 * bundle positions back to the TypeScript sources through the bundle's source map.
 */
import { existsSync, readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * @typedef {{ functionName: string, url: string, lineNumber: number, columnNumber: number }} CallFrame
 * @typedef {{ id: number, callFrame: CallFrame }} ProfileNode
 * @typedef {{ nodes: ProfileNode[], samples: number[], timeDeltas: number[], startTime: number, endTime: number }} CpuProfile
 * @typedef {{ name: string, where: string, file: string, selfMs: number, share: number }} HotSpot
 */

/** @param {unknown} value @returns {value is CpuProfile} */
function isCpuProfile(value) {
  return typeof value === 'object' && value !== null && 'nodes' in value && Array.isArray(value.nodes) && 'samples' in value && Array.isArray(value.samples) && 'timeDeltas' in value && Array.isArray(value.timeDeltas);
}

/** @param {string} file @returns {CpuProfile} */
export function readProfile(file) {
  const parsed = JSON.parse(readFileSync(file, 'utf8'));
  if (!isCpuProfile(parsed)) throw new Error(`${file} is not a V8 CPU profile`);
  return parsed;
}

/**
 * Maps generated positions of scripts that have a `.map` beside them (dist/server.js) to original ones.
 * @param {string} root repository root, for relative paths
 */
export function sourceMapper(root) {
  /** @type {Map<string, SourceMap | null>} */
  const maps = new Map();
  /** @param {string} file */
  const mapFor = (file) => {
    if (!maps.has(file)) {
      const mapFile = `${file}.map`;
      maps.set(file, existsSync(mapFile) ? new SourceMap(JSON.parse(readFileSync(mapFile, 'utf8'))) : null);
    }
    return maps.get(file) ?? null;
  };
  /** @param {CallFrame} frame @returns {{ file: string, line: number }} line is 1-based, 0 when unknown */
  return (frame) => {
    if (!frame.url) return { file: '', line: 0 };
    const file = frame.url.startsWith('file://') ? fileURLToPath(frame.url) : frame.url;
    const map = file.startsWith('/') ? mapFor(file) : null;
    if (map) {
      const entry = map.findEntry(frame.lineNumber, frame.columnNumber);
      if (entry && 'originalSource' in entry && entry.originalSource) {
        const original = entry.originalSource.startsWith('file://') ? fileURLToPath(entry.originalSource) : path.resolve(path.dirname(file), entry.originalSource);
        return { file: path.relative(root, original), line: entry.originalLine + 1 };
      }
    }
    return { file: file.startsWith('/') ? path.relative(root, file) : file, line: frame.lineNumber + 1 };
  };
}

/**
 * Self time per function (summed over every node of the call tree with the same function and
 * position), largest first. Idle time is left out of the total.
 * @param {CpuProfile} profile @param {ReturnType<typeof sourceMapper>} map
 */
export function selfTimes(profile, map) {
  /** @type {Map<number, number>} */
  const byNode = new Map();
  profile.samples.forEach((id, index) => byNode.set(id, (byNode.get(id) ?? 0) + (profile.timeDeltas[index] ?? 0)));
  /** @type {Map<string, { name: string, where: string, file: string, micros: number }>} */
  const byFunction = new Map();
  let total = 0;
  for (const node of profile.nodes) {
    const micros = byNode.get(node.id) ?? 0;
    const frame = node.callFrame;
    if (micros === 0 || frame.functionName === '(idle)') continue;
    total += micros;
    const { file, line } = map(frame);
    const name = frame.functionName || (file ? '(anonymous)' : '(root)');
    const where = file ? `${file}:${line}` : '';
    const key = `${name}@${where}`;
    const entry = byFunction.get(key) ?? { name, where, file: file || name, micros: 0 };
    entry.micros += micros;
    byFunction.set(key, entry);
  }
  /** @type {HotSpot[]} */
  const functions = [...byFunction.values()]
    .map((entry) => ({ name: entry.name, where: entry.where, file: entry.file, selfMs: entry.micros / 1000, share: total ? entry.micros / total : 0 }))
    .sort((a, b) => b.selfMs - a.selfMs);
  /** @type {Map<string, number>} */
  const byFile = new Map();
  for (const entry of functions) byFile.set(bucket(entry.file), (byFile.get(bucket(entry.file)) ?? 0) + entry.selfMs);
  const files = [...byFile.entries()].map(([file, selfMs]) => ({ file, selfMs, share: total ? (selfMs * 1000) / total : 0 })).sort((a, b) => b.selfMs - a.selfMs);
  return { totalMs: total / 1000, functions, files };
}

/** Groups a source path: each server/ file on its own, each npm package as one, Node's internals as one. */
function bucket(/** @type {string} */ file) {
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(file);
  if (pkg) return `npm:${pkg[1]}`;
  if (file.startsWith('node:')) return 'node internals';
  return file;
}
