// @ts-check
/**
 * The bench rig: the cheap upstream, the bare pipe proxy and the relay (from the built bundle), each in
 * its own process, and the four targets the scenarios compare:
 *
 * | target        | path                                   |
 * |---------------|----------------------------------------|
 * | direct        | client → upstream `/api/chat`          |
 * | pipe          | client → pipe proxy → upstream         |
 * | relay-native  | client → relay `/api/chat` → upstream  |
 * | relay-openai  | client → relay `/v1/chat/completions` (SSE) → upstream `/api/show` (cached) + `/api/chat` |
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { keepAliveAgent } from './client.mjs';
import { startService } from './processes.mjs';

/**
 * @typedef {import('./client.mjs').Target} Target
 * @typedef {import('./processes.mjs').Service} Service
 * @typedef {{ upstream: Service, pipe: Service, relay: Service, targets: Target[], target(name: string): Target, stop(): Promise<void> }} Rig
 */

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const MODEL = 'bench:latest';

/** Builds dist/server.js so the bench always measures the current sources. */
export function buildRelay() {
  const build = spawnSync(process.execPath, ['esbuild.mjs', 'relay'], { cwd: REPO_ROOT, stdio: 'inherit' });
  if (build.status !== 0) throw new Error('building the relay failed');
}

/**
 * The relay's environment for the bench. Admission limits are raised far above the load so that the
 * bench measures forwarding, not queueing by design; the limiter itself still runs on every request.
 * @param {string} upstreamUrl @param {string} token @param {string} dataDir
 */
export function relayEnv(upstreamUrl, token, dataDir) {
  return {
    OLLAMA_HOST: upstreamUrl,
    RELAY_TOKENS: `bench:${token}`,
    LOG_LEVEL: 'warn',
    RELAY_DATA_DIR: dataDir,
    RATE_LIMIT_RPM: '10000000',
    MAX_INFLIGHT_PER_TOKEN: '10000',
    MAX_QUEUE: '10000',
  };
}

/** @param {string} prompt */
function chatBody(prompt) {
  return JSON.stringify({ model: MODEL, messages: [{ role: 'user', content: prompt }], stream: true });
}

/**
 * Starts the relay alone (the profiler restarts it per route).
 * @param {{ upstreamUrl: string, token: string, logDir: string, nodeArgs?: string[], name?: string }} options
 */
export function startRelay(options) {
  const dataDir = path.join(options.logDir, 'relay-data');
  mkdirSync(dataDir, { recursive: true });
  return startService({
    name: options.name ?? 'relay',
    script: path.join(REPO_ROOT, 'dist', 'server.js'),
    // As `npm start` runs it (see package.json), plus whatever the caller adds (the profiler).
    nodeArgs: ['--max-semi-space-size=8', ...(options.nodeArgs ?? [])],
    env: relayEnv(options.upstreamUrl, options.token, dataDir),
    readyPath: '/healthz',
    logDir: options.logDir,
  });
}

/**
 * @param {{ name: string, label: string, url: string, path: string, framing: 'ndjson' | 'sse', headers?: Record<string, string>, proxyPid?: number }} spec
 * @returns {Target}
 */
export function makeTarget(spec) {
  return { headers: {}, ...spec, body: chatBody, agent: keepAliveAgent() };
}

/** @param {Service} relay @param {string} token */
export function relayTargets(relay, token) {
  const headers = { Authorization: `Bearer ${token}` };
  return [
    makeTarget({ name: 'relay-native', label: 'relay, native /api/chat', url: relay.url, path: '/api/chat', framing: 'ndjson', headers, proxyPid: relay.pid }),
    makeTarget({ name: 'relay-openai', label: 'relay, /v1/chat/completions (SSE)', url: relay.url, path: '/v1/chat/completions', framing: 'sse', headers, proxyPid: relay.pid }),
  ];
}

/** @param {{ logDir: string, relayNodeArgs?: string[] }} options @returns {Promise<Rig>} */
export async function startRig(options) {
  /** @type {Service[]} */
  const started = [];
  try {
    const upstream = await startService({ name: 'upstream', script: path.join(REPO_ROOT, 'bench', 'upstream.mjs'), env: {}, readyPath: '/', logDir: options.logDir, ipc: true });
    started.push(upstream);
    const pipe = await startService({ name: 'pipe', script: path.join(REPO_ROOT, 'bench', 'pipeProxy.mjs'), env: { UPSTREAM_URL: upstream.url }, readyPath: '/', logDir: options.logDir });
    started.push(pipe);
    const token = randomBytes(24).toString('base64url');
    const relay = await startRelay({ upstreamUrl: upstream.url, token, logDir: options.logDir, nodeArgs: options.relayNodeArgs });
    started.push(relay);
    const targets = [
      makeTarget({ name: 'direct', label: 'direct to upstream', url: upstream.url, path: '/api/chat', framing: 'ndjson' }),
      makeTarget({ name: 'pipe', label: 'bare Node pipe proxy', url: pipe.url, path: '/api/chat', framing: 'ndjson', proxyPid: pipe.pid }),
      ...relayTargets(relay, token),
    ];
    return {
      upstream,
      pipe,
      relay,
      targets,
      target(name) {
        const found = targets.find((candidate) => candidate.name === name);
        if (!found) throw new Error(`no target ${name}`);
        return found;
      },
      async stop() {
        for (const target of targets) target.agent.destroy();
        await Promise.all(started.map((service) => service.stop()));
      },
    };
  } catch (error) {
    await Promise.all(started.map((service) => service.stop()));
    throw error;
  }
}
