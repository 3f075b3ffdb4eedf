// @ts-check
/**
 * The load generator: plain `node:http` with keep-alive agents, one streamed request at a time per call.
 * It measures time to the first body byte (the first token: every target sends its first token in its
 * first frame) and to the end of the body, counts frames without parsing them (NDJSON: one line per
 * token; SSE: `data: …\n\n`, two newlines per frame), and checks that each stream ended the way its
 * dialect ends (`"done":true` record, or `data: [DONE]`).
 */
import http from 'node:http';

/**
 * @typedef {'ndjson' | 'sse'} Framing
 * @typedef {{
 *   name: string,
 *   label: string,
 *   url: string,
 *   path: string,
 *   framing: Framing,
 *   headers: Record<string, string>,
 *   body: (prompt: string) => string,
 *   agent: http.Agent,
 *   proxyPid?: number,
 * }} Target
 * @typedef {{
 *   ok: boolean,
 *   status: number,
 *   ttftMs: number,
 *   totalMs: number,
 *   frames: number,
 *   complete: boolean,
 *   abortedAt?: number,
 *   error?: string,
 * }} StreamResult
 */

const NEWLINE = 0x0a;
const STREAM_DEADLINE_MS = 60_000;

/** Epoch milliseconds with sub-millisecond precision, comparable with the upstream's clock. */
export const epochNow = () => performance.timeOrigin + performance.now();

export function keepAliveAgent() {
  return new http.Agent({ keepAlive: true, maxSockets: Infinity, scheduling: 'lifo' });
}

/** @param {Buffer} chunk */
function countNewlines(chunk) {
  let count = 0;
  for (let at = chunk.indexOf(NEWLINE); at !== -1; at = chunk.indexOf(NEWLINE, at + 1)) count += 1;
  return count;
}

/**
 * Sends one streamed request and reads the answer to its end (or aborts it after `abortAfterFrames`
 * frames, recording the instant of the abort).
 * @param {Target} target @param {string} prompt @param {{ abortAfterFrames?: number }} [options]
 * @returns {Promise<StreamResult>}
 */
export function runStream(target, prompt, options = {}) {
  const payload = Buffer.from(target.body(prompt));
  return new Promise((resolve) => {
    const started = performance.now();
    let ttftMs = Number.NaN;
    let newlines = 0;
    let settled = false;
    /** @type {Buffer | undefined} */
    let previous;
    /** @type {Buffer | undefined} */
    let last;
    /** @param {StreamResult} result */
    const settle = (result) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      resolve(result);
    };
    const request = http.request(`${target.url}${target.path}`, {
      method: 'POST',
      agent: target.agent,
      headers: { ...target.headers, 'Content-Type': 'application/json', 'Content-Length': payload.length },
    });
    const deadline = setTimeout(() => {
      request.destroy();
      settle({ ok: false, status: 0, ttftMs, totalMs: performance.now() - started, frames: 0, complete: false, error: `no end within ${STREAM_DEADLINE_MS} ms` });
    }, STREAM_DEADLINE_MS);
    const frames = () => (target.framing === 'sse' ? Math.floor(newlines / 2) : newlines);
    request.on('response', (response) => {
      const status = response.statusCode ?? 0;
      response.on('data', (/** @type {Buffer} */ chunk) => {
        if (Number.isNaN(ttftMs)) ttftMs = performance.now() - started;
        newlines += countNewlines(chunk);
        previous = last;
        last = chunk;
        if (options.abortAfterFrames !== undefined && frames() >= options.abortAfterFrames && !settled) {
          const abortedAt = epochNow();
          request.destroy();
          settle({ ok: status === 200, status, ttftMs, totalMs: performance.now() - started, frames: frames(), complete: false, abortedAt });
        }
      });
      response.on('end', () => {
        const ending = Buffer.concat(previous && last ? [previous, last] : last ? [last] : []).toString('utf8');
        const complete = target.framing === 'sse' ? ending.endsWith('data: [DONE]\n\n') : /"done":true[^\n]*\n?$/.test(ending);
        const ok = status === 200 && complete;
        settle({ ok, status, ttftMs, totalMs: performance.now() - started, frames: frames(), complete, error: ok ? undefined : `status ${status}, ending ${JSON.stringify(ending.slice(-200))}` });
      });
      response.on('error', (error) => settle({ ok: false, status, ttftMs, totalMs: performance.now() - started, frames: frames(), complete: false, error: error.message }));
    });
    request.on('error', (error) => settle({ ok: false, status: 0, ttftMs, totalMs: performance.now() - started, frames: 0, complete: false, error: error.message }));
    request.end(payload);
  });
}

/**
 * Runs `count` streams one after another.
 * @param {Target} target @param {number} count @param {(index: number) => string} prompt
 */
export async function runSequential(target, count, prompt) {
  /** @type {StreamResult[]} */
  const results = [];
  for (let index = 0; index < count; index += 1) results.push(await runStream(target, prompt(index)));
  return results;
}

/**
 * Starts `count` streams at once and waits for all of them.
 * @param {Target} target @param {number} count @param {(index: number) => string} prompt @param {(index: number) => number | undefined} [abortAfter]
 */
export function runConcurrent(target, count, prompt, abortAfter = () => undefined) {
  return Promise.all(Array.from({ length: count }, (_, index) => runStream(target, prompt(index), { abortAfterFrames: abortAfter(index) })));
}
