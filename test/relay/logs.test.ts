import assert from 'node:assert/strict';
import { ALICE, CHAT, CODER, isRequestLine, ollamaClient, openaiClient, requestIdOf, type Rig, startRig, delay } from './helpers/harness';
import { isRecord, rawRequest } from './helpers/rawHttp';

const UPSTREAM_KEY = 'upstream-key-logs-4242';
const WRONG_TOKEN = 'wrong-token-logs-9999';
const PROMPT = 'PROMPT-MARKER-forty-two';
const SUFFIX = 'SUFFIX-MARKER-seven';
const OPENAI_PROMPT = 'OPENAI-MARKER-nine';

/** Runs a mixed workload: streaming and not, both dialects, a failed login, an abort and an upstream error. */
async function workload(rig: Rig): Promise<void> {
  const { url } = rig.relay;
  for await (const part of await ollamaClient(url).chat({ model: CHAT, messages: [{ role: 'user', content: PROMPT }], stream: true })) void part;
  await ollamaClient(url).generate({ model: CODER, prompt: `${PROMPT} fim`, suffix: SUFFIX });
  await openaiClient(url).chat.completions.create({ model: CHAT, messages: [{ role: 'user', content: OPENAI_PROMPT }] });
  await rawRequest(`${url}/api/chat`, { method: 'POST', headers: { Authorization: `Bearer ${WRONG_TOKEN}` }, body: '{}' });
  await rawRequest(`${url}/api/pull`, { method: 'POST', headers: { Authorization: `Bearer ${ALICE}` }, body: JSON.stringify({ model: CODER }) });
  rig.fake.behave({ errorAfterTokens: 1 });
  await rawRequest(`${url}/api/generate`, { method: 'POST', headers: { Authorization: `Bearer ${ALICE}` }, body: JSON.stringify({ model: CODER, prompt: `${PROMPT} error` }) });
  rig.fake.reset();
  rig.fake.behave({ firstTokenDelayMs: 2000 });
  const controller = new AbortController();
  const aborted = rawRequest(`${url}/api/generate`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${ALICE}` },
    body: JSON.stringify({ model: CODER, prompt: `${PROMPT} aborted` }),
    signal: controller.signal,
  }).catch(() => undefined);
  await rig.fake.waitFor((f) => f.stats.generationsStarted === 1, 2000, 'the generation to start');
  controller.abort();
  await aborted;
  await rig.fake.waitFor((f) => f.stats.activeGenerations === 0, 2000, 'the generation to stop');
  rig.fake.reset();
  // pino writes asynchronously to some destinations; give the last lines a moment.
  await delay(100);
}

describe('relay: logs', () => {
  describe('by default', () => {
    let rig: Rig;
    let text = '';
    let lines: unknown[] = [];

    before(async () => {
      rig = await startRig({ OLLAMA_API_KEY: UPSTREAM_KEY });
      await workload(rig);
      text = rig.relay.logs.text;
      lines = rig.relay.logs.lines();
    });
    after(() => rig.close());

    it('writes JSON lines', () => {
      assert.ok(lines.length > 0, 'logs were captured');
      for (const line of lines) assert.ok(isRecord(line), `not a JSON line: ${String(line)}`);
    });

    it('never logs a relay token, a rejected token or the upstream key', () => {
      for (const secret of [ALICE, 'tok-bob-456', WRONG_TOKEN, UPSTREAM_KEY]) assert.ok(!text.includes(secret), `the log contains ${secret.slice(0, 6)}…`);
      assert.ok(!/Bearer [\w-]{6,}/.test(text), 'no Authorization value');
    });

    it('never logs prompts, suffixes or completions', () => {
      for (const marker of [PROMPT, SUFFIX, OPENAI_PROMPT, 'echo: ']) assert.ok(!text.includes(marker), `the log contains "${marker}"`);
    });

    it('puts a request id on every line about a request, one id per request', () => {
      const requestLines = lines.filter((line): line is Record<string, unknown> => isRecord(line) && isRequestLine(line));
      assert.ok(requestLines.length >= 5, `the served requests are logged (${requestLines.length} lines)`);
      for (const line of requestLines) {
        const id = requestIdOf(line);
        assert.ok((typeof id === 'string' && id !== '') || typeof id === 'number', `no request id on ${JSON.stringify(line)}`);
      }
      assert.ok(new Set(requestLines.map(requestIdOf)).size >= 5, 'each request has its own id');
    });

    it('logs rejected requests too (401 and 403), with their status', () => {
      const statuses = lines.filter(isRecord).map((line) => line.status ?? line.statusCode ?? (isRecord(line.res) ? line.res.statusCode : undefined));
      assert.ok(statuses.includes(401), `a line for the 401 (statuses logged: ${JSON.stringify(statuses)})`);
      assert.ok(statuses.includes(403), `a line for the 403 (statuses logged: ${JSON.stringify(statuses)})`);
    });
  });

  describe('with LOG_PROMPTS=1', () => {
    it('logs prompt text, and still no secret', async () => {
      const rig = await startRig({ OLLAMA_API_KEY: UPSTREAM_KEY, LOG_PROMPTS: '1' });
      try {
        await workload(rig);
        const text = rig.relay.logs.text;
        assert.ok(text.includes(PROMPT), 'the prompt is logged when asked for');
        for (const secret of [ALICE, WRONG_TOKEN, UPSTREAM_KEY]) assert.ok(!text.includes(secret), `the log contains ${secret.slice(0, 6)}…`);
      } finally {
        await rig.close();
      }
    });
  });
});
