import assert from 'node:assert/strict';
import { closedPort } from '../support/net';
import { ALICE, bearer, BOB, CHAT, ollamaClient, startRelayFor } from './helpers/harness';
import { useRig } from './helpers/useRig';
import { rawRequest } from './helpers/rawHttp';

/** Sample lines (not comments) of a Prometheus text body. */
function samples(metrics: string): string[] {
  return metrics.split('\n').filter((line) => line !== '' && !line.startsWith('#'));
}

function sampleValue(line: string): number {
  return Number(line.slice(line.lastIndexOf(' ') + 1));
}

describe('relay: health and metrics', () => {
  const rig = useRig();

  async function scrape(): Promise<string> {
    const res = await rawRequest(`${rig.url}/metrics`, { headers: bearer(ALICE) });
    assert.equal(res.status, 200);
    return res.body;
  }

  describe('health', () => {
    it('answers /healthz with 200', async () => {
      assert.equal((await rawRequest(`${rig.url}/healthz`)).status, 200);
    });

    it('answers /readyz with 200 while Ollama answers', async () => {
      assert.equal((await rawRequest(`${rig.url}/readyz`)).status, 200);
    });

    it('answers /readyz with 503 and a reason, without credentials, when no upstream answers', async () => {
      const down = await startRelayFor(`http://probe:pw-secret-31@127.0.0.1:${await closedPort()}`);
      try {
        let res = await rawRequest(`${down.url}/readyz`);
        for (let i = 0; i < 30 && res.status !== 503; i += 1) {
          await new Promise((resolve) => setTimeout(resolve, 100));
          res = await rawRequest(`${down.url}/readyz`);
        }
        assert.equal(res.status, 503);
        assert.ok(res.body.trim().length > 0, 'a reason is given');
        assert.ok(!res.body.includes('pw-secret-31'), 'the reason carries no credentials');
        assert.equal((await rawRequest(`${down.url}/healthz`)).status, 200, 'the process itself is healthy');
      } finally {
        await down.close();
      }
    });
  });

  describe('metrics', () => {
    it('needs a relay token', async () => {
      assert.equal((await rawRequest(`${rig.url}/metrics`)).status, 401);
      assert.equal((await rawRequest(`${rig.url}/metrics`, { headers: bearer('wrong-token-000') })).status, 401);
      const res = await rawRequest(`${rig.url}/metrics`, { headers: bearer(BOB) });
      assert.equal(res.status, 200);
      assert.match(String(res.headers['content-type']), /^text\/plain/);
    });

    it('needs METRICS_TOKEN, and only it, when set', async () => {
      const guarded = await startRelayFor(rig.fake.url, { METRICS_TOKEN: 'metrics-secret-99' });
      try {
        assert.equal((await rawRequest(`${guarded.url}/metrics`, { headers: bearer('metrics-secret-99') })).status, 200);
        assert.notEqual((await rawRequest(`${guarded.url}/metrics`, { headers: bearer(ALICE) })).status, 200);
        assert.equal((await rawRequest(`${guarded.url}/metrics`)).status, 401);
      } finally {
        await guarded.close();
      }
    });

    it('counts answered requests by route and status', async () => {
      await ollamaClient(rig.url).chat({ model: CHAT, messages: [{ role: 'user', content: 'metrics turn' }] });
      const lines = samples(await scrape());
      const chatOk = lines.find((l) => /requests?_total\{/.test(l) && l.includes('"/api/chat"') && l.includes('"200"'));
      assert.ok(chatOk && sampleValue(chatOk) >= 1, 'a request counter for /api/chat with status 200');
    });

    it('counts rejected requests (401) as well', async () => {
      await rawRequest(`${rig.url}/api/tags`);
      const lines = samples(await scrape());
      assert.ok(
        lines.some((l) => /requests?_total\{/.test(l) && l.includes('"401"')),
        `a request counter for status 401; counters: ${lines.filter((l) => /requests?_total\{/.test(l)).join(' | ')}`,
      );
    });

    it('exposes a time-to-first-token histogram and an in-flight gauge', async () => {
      await ollamaClient(rig.url).generate({ model: 'qwen2.5-coder:1.5b', prompt: 'ttft sample' });
      const metrics = await scrape();
      assert.match(metrics, /^\w*(ttft|first_token|first_byte)\w*_bucket\{/m, 'a time-to-first-token histogram');
      assert.match(metrics, /^# TYPE \w*in_?flight\w* gauge$/m, 'an in-flight gauge');
    });

    it('counts client aborts', async () => {
      rig.fake.behave({ firstTokenDelayMs: 3000 });
      const controller = new AbortController();
      const aborted = rawRequest(`${rig.url}/api/chat`, {
        method: 'POST',
        headers: bearer(ALICE),
        body: JSON.stringify({ model: CHAT, messages: [{ role: 'user', content: 'abort for metrics' }] }),
        signal: controller.signal,
      }).catch(() => undefined);
      await rig.fake.waitFor((f) => f.stats.generationsStarted === 1, 2000, 'the generation');
      controller.abort();
      await aborted;
      await rig.fake.waitFor((f) => f.stats.generationsAborted === 1, 2000, 'the abort to reach Ollama');
      const metrics = await scrape();
      const abortMetric = /^# TYPE (\w*abort\w*) counter$/m.exec(metrics)?.[1];
      assert.ok(abortMetric, 'a client-abort counter');
      const abortTotal = samples(metrics)
        .filter((l) => l.startsWith(abortMetric))
        .reduce((sum, l) => sum + sampleValue(l), 0);
      assert.ok(abortTotal >= 1, `the client abort was counted (${abortTotal})`);
    });

    it('shows no token, key or prompt in metrics', async () => {
      const keyed = await startRelayFor(rig.fake.url, { OLLAMA_API_KEY: 'upstream-key-metrics-7' });
      try {
        await ollamaClient(keyed.url).generate({ model: 'qwen2.5-coder:1.5b', prompt: 'secret prompt for metrics' });
        await rawRequest(`${keyed.url}/api/tags`, { headers: bearer('guessed-token-123') });
        const metrics = (await rawRequest(`${keyed.url}/metrics`, { headers: bearer(ALICE) })).body;
        for (const secret of [ALICE, BOB, 'upstream-key-metrics-7', 'guessed-token-123', 'secret prompt for metrics', 'echo: ']) {
          assert.ok(!metrics.includes(secret), `metrics contain ${secret.slice(0, 6)}…`);
        }
      } finally {
        await keyed.close();
      }
    });
  });
});
