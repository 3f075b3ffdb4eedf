import assert from 'node:assert/strict';
import {
  CompletionEngine,
  type CompletionActivity,
  type CompletionEngineOptions,
  type CompletionRequest,
  type CompletionSettings,
} from '../../../extension/common/completion/engine';
import { FIM_TEMPLATES } from '../../../extension/common/completion/fimTemplates';
import { supersedeKey } from '../../../extension/common/completion/supersedeKey';
import { closedPort } from '../../support/net';
import { startScriptedOllama, type ScriptedModel, type ScriptedOllama } from './scriptedOllama';

const CODER: ScriptedModel = { name: 'coder:1b', family: 'qwen2', capabilities: ['completion', 'insert'], contextLength: 4096 };
const CHAT: ScriptedModel = { name: 'llama3.2:1b', family: 'llama', capabilities: ['completion', 'tools'], contextLength: 131072 };
const TOKEN = 'relay-token-abc123';

interface Harness {
  engine: CompletionEngine;
  activity: CompletionActivity[];
  settings: CompletionSettings;
}

describe('completion engine', () => {
  let server: ScriptedOllama;
  const engines: CompletionEngine[] = [];

  beforeEach(async () => {
    server = await startScriptedOllama([CHAT, CODER]);
  });

  afterEach(async () => {
    for (const engine of engines.splice(0)) engine.dispose();
    await server.close();
  });

  function harness(settings: Partial<CompletionSettings> = {}, options: Partial<CompletionEngineOptions> = {}): Harness {
    const activity: CompletionActivity[] = [];
    const all: CompletionSettings = {
      model: 'coder:1b',
      debounceMs: 0,
      maxTokens: 32,
      maxLines: 4,
      prefixTokens: 256,
      suffixTokens: 64,
      template: 'auto',
      contextLength: 8192,
      ...settings,
    };
    const engine = new CompletionEngine({
      endpoint: () => ({ url: server.url, token: TOKEN }),
      settings: () => all,
      onActivity: (event) => activity.push(event),
      orphanGraceMs: 20,
      ...options,
    });
    engines.push(engine);
    return { engine, activity, settings: all };
  }

  function harnessAt(url: string): { engine: CompletionEngine; activity: CompletionActivity[] } {
    const activity: CompletionActivity[] = [];
    const engine = new CompletionEngine({
      endpoint: () => ({ url }),
      settings: () => ({ model: 'coder:1b', debounceMs: 0, maxTokens: 8, maxLines: 1, prefixTokens: 64, suffixTokens: 16, template: 'auto', contextLength: 2048 }),
      onActivity: (event) => activity.push(event),
    });
    engines.push(engine);
    return { engine, activity };
  }

  function request(overrides: Partial<CompletionRequest> = {}): CompletionRequest {
    return { documentKey: 'file:///w/a.py', languageId: 'python', prefix: 'total = ', suffix: ' * rate\nprint(total)\n', signal: new AbortController().signal, ...overrides };
  }

  const errors = (activity: CompletionActivity[]): string[] => activity.flatMap((event) => (event.kind === 'error' ? [event.message] : []));

  it('completes through streaming /api/generate with suffix, num_ctx from /api/show, auth and the supersede header', async () => {
    server.script = () => ({ chunks: ['pri', 'ce', '\nnext line'] });
    const { engine, activity } = harness();
    const result = await engine.complete(request());
    assert.equal(result?.text, 'price');
    assert.equal(result?.source, 'network');
    assert.equal(result?.model, 'coder:1b');
    const [generate, ...others] = server.generateRequests();
    assert.equal(others.length, 0);
    assert.deepEqual(generate?.body, {
      model: 'coder:1b',
      prompt: 'total = ',
      suffix: ' * rate\nprint(total)\n',
      raw: false,
      stream: true,
      options: { num_predict: 32, temperature: 0.2, top_p: 0.9, num_ctx: 4096, stop: [...FIM_TEMPLATES.qwen.stop] },
    });
    assert.equal(generate?.headers.authorization, `Bearer ${TOKEN}`);
    assert.equal(generate?.headers['x-relay-supersede'], supersedeKey('file:///w/a.py'));
    assert.deepEqual(server.requests.map((r) => r.path), ['/api/show', '/api/generate']);
    assert.deepEqual(activity.map((event) => event.kind), ['start', 'end']);
    assert.deepEqual({ ...activity[1], latencyMs: 0 }, { kind: 'end', documentKey: 'file:///w/a.py', latencyMs: 0, source: 'network' });
  });

  it('closes the HTTP request as soon as the shaped completion is complete', async () => {
    server.script = () => ({ chunks: ['price', '\n', 'more'], hold: true });
    const { engine } = harness();
    const result = await engine.complete(request());
    assert.equal(result?.text, 'price');
    await server.waitFor(() => server.generateRequests()[0]?.closedEarly === true, 'the generate request to be closed by the client');
  });

  it('answers a repeated cursor from the cache without a request', async () => {
    server.script = () => ({ chunks: ['price'] });
    const { engine, activity } = harness();
    assert.equal((await engine.complete(request()))?.source, 'network');
    const again = await engine.complete(request({ documentKey: 'file:///w/b.py' }));
    assert.deepEqual({ ...again, latencyMs: 0 }, { text: 'price', model: 'coder:1b', latencyMs: 0, source: 'cache' });
    assert.equal(server.generateRequests().length, 1);
    assert.equal(lastEndSource(activity), 'cache');
  });

  it('returns the rest of a finished completion when the user types into it', async () => {
    server.script = () => ({ chunks: ['price * tax'] });
    const { engine, activity } = harness();
    const suffix = '\nprint(total)\n';
    assert.equal((await engine.complete(request({ suffix })))?.text, 'price * tax');
    const typed = await engine.complete(request({ prefix: 'total = pri', suffix }));
    assert.equal(typed?.text, 'ce * tax');
    assert.equal(typed?.source, 'typed-through');
    assert.equal(lastEndSource(activity), 'typed-through');
    assert.equal(server.generateRequests().length, 1);
    const diverged = await engine.complete(request({ prefix: 'total = cost', suffix }));
    assert.equal(diverged?.source, 'network');
    assert.equal(server.generateRequests().length, 2);
  });

  it('waits for a pending completion the user is typing into instead of sending another request', async () => {
    server.script = () => ({ chunks: ['price'], hold: true, afterRelease: [' * tax'] });
    const { engine } = harness({ debounceMs: 0 });
    const suffix = '\nprint(total)\n';
    const editor = new AbortController();
    const first = engine.complete(request({ suffix, signal: editor.signal }));
    await server.waitFor(() => server.generateRequests().length === 1, 'the first request');
    // Let the first streamed piece ("price") reach the engine: it is what vouches for the typed "pr".
    await new Promise((resolve) => setTimeout(resolve, 250));
    editor.abort(); // the editor cancels the old call when the user types
    assert.equal(await first, undefined);
    const typed = engine.complete(request({ prefix: 'total = pr', suffix }));
    server.release();
    const result = await typed;
    assert.equal(result?.text, 'ice * tax');
    assert.equal(result?.source, 'typed-through');
    assert.equal(server.generateRequests().length, 1);
    assert.equal(server.generateRequests()[0]?.closedEarly, false);
  });

  it('aborts a pending request that has shown nothing yet when the user types on, instead of waiting for it', async () => {
    server.script = (body) => (String(body.prompt).endsWith('pr') ? { chunks: ['ice'] } : { chunks: [], hold: true });
    const { engine } = harness({ debounceMs: 0 });
    const suffix = '\nprint(total)\n';
    const editor = new AbortController();
    const first = engine.complete(request({ suffix, signal: editor.signal }));
    await server.waitFor(() => server.generateRequests().length === 1, 'the first request');
    editor.abort();
    assert.equal(await first, undefined);
    const typed = await engine.complete(request({ prefix: 'total = pr', suffix }));
    assert.equal(typed?.source, 'network');
    assert.equal(server.generateRequests().length, 2);
    await server.waitFor(() => server.generateRequests()[0]?.closedEarly === true, 'the stale request to be closed');
  });

  it('aborts a request nobody waits for any more after the grace time', async () => {
    server.script = () => ({ chunks: ['price'], hold: true });
    const { engine, activity } = harness();
    const editor = new AbortController();
    const pending = engine.complete(request({ signal: editor.signal }));
    await server.waitFor(() => server.generateRequests().length === 1, 'the request');
    editor.abort();
    assert.equal(await pending, undefined);
    await server.waitFor(() => server.generateRequests()[0]?.closedEarly === true, 'the orphaned request to be aborted');
    await waitUntil(() => activity.some((event) => event.kind === 'end'), 'the end activity');
    assert.deepEqual(errors(activity), [], 'an abort is not an error');
  });

  it('debounces: a newer call for the document during the wait replaces the older one without a request', async () => {
    server.script = (body) => ({ chunks: [`for ${String(body.prompt)}`] });
    const { engine } = harness({ debounceMs: 40 });
    const older = engine.complete(request({ prefix: 'total = p' }));
    const newer = engine.complete(request({ prefix: 'total = pr' }));
    assert.equal(await older, undefined);
    assert.equal((await newer)?.text, 'for total = pr');
    assert.deepEqual(server.generateRequests().map((r) => r.body.prompt), ['total = pr']);
  });

  it('sends nothing when the editor cancels during the debounce', async () => {
    const { engine } = harness({ debounceMs: 1000 });
    const editor = new AbortController();
    const pending = engine.complete(request({ signal: editor.signal }));
    editor.abort();
    assert.equal(await pending, undefined);
    assert.deepEqual(server.requests, []);
  });

  it("aborts the document's previous request before sending the next, and leaves other documents alone", async () => {
    const log: string[] = [];
    const spy: typeof fetch = (input, init) => {
      const body = typeof init?.body === 'string' ? (JSON.parse(init.body) as { prompt?: unknown }) : {};
      const label = `${new URL(String(input)).pathname} ${String(body.prompt ?? '')}`;
      log.push(`send ${label}`);
      init?.signal?.addEventListener('abort', () => log.push(`abort ${label}`), { once: true });
      return fetch(input, init);
    };
    server.script = (body) => (body.prompt === 'second' ? { chunks: ['2'] } : { chunks: ['1'], hold: true });
    const { engine } = harness({}, { fetch: spy });
    const first = engine.complete(request({ prefix: 'first' }));
    const otherDocument = engine.complete(request({ prefix: 'other', documentKey: 'file:///w/other.py' }));
    await server.waitFor(() => server.generateRequests().length === 2, 'both first requests');
    const second = await engine.complete(request({ prefix: 'second' }));
    assert.equal(await first, undefined);
    assert.equal(second?.text, '2');
    const generateEvents = log.filter((line) => line.includes('/api/generate') && !line.includes('other'));
    assert.deepEqual(generateEvents.slice(0, 3), ['send /api/generate first', 'abort /api/generate first', 'send /api/generate second']);
    assert.ok(!log.includes('abort /api/generate other'), 'another document keeps its request');
    const [firstSeen, , secondSeen] = server.generateRequests();
    assert.equal(firstSeen?.headers['x-relay-supersede'], secondSeen?.headers['x-relay-supersede']);
    assert.notEqual(server.generateRequests()[1]?.headers['x-relay-supersede'], firstSeen?.headers['x-relay-supersede']);
    await server.waitFor(() => firstSeen?.closedEarly === true, 'the first request to be closed');
    server.release();
    assert.equal((await otherDocument)?.text, '1');
  });

  it('picks the first FIM-capable model from /api/tags when none is configured, once', async () => {
    server.script = () => ({ chunks: ['x'] });
    const { engine } = harness({ model: '' });
    assert.equal((await engine.complete(request()))?.model, 'coder:1b');
    assert.equal((await engine.complete(request({ prefix: 'other = ' })))?.model, 'coder:1b');
    assert.equal(server.requests.filter((r) => r.path === '/api/tags').length, 1);
    assert.equal(server.requests.filter((r) => r.path === '/api/show').length, 1);
  });

  it('reports when no model can fill in the middle', async () => {
    server.models.splice(0, server.models.length, CHAT);
    const { engine, activity } = harness({ model: '' });
    assert.equal(await engine.complete(request()), undefined);
    assert.match(errors(activity)[0] ?? '', /^No completion model on http:\/\/127\.0\.0\.1:\d+: .*aide\.completion\.model/);
  });

  it('falls back to the raw template once when Ollama rejects insert, and remembers it', async () => {
    server.script = (body) =>
      typeof body.suffix === 'string' ? { status: 400, error: 'registry.ollama.ai/library/coder:1b does not support insert' } : { chunks: ['raw'] };
    const { engine, activity } = harness();
    assert.equal((await engine.complete(request()))?.text, 'raw');
    assert.equal((await engine.complete(request({ prefix: 'net = ' })))?.text, 'raw');
    const bodies = server.generateRequests().map((r) => r.body);
    assert.deepEqual(bodies.map((b) => b.raw), [false, true, true]);
    assert.equal(bodies[1]?.prompt, FIM_TEMPLATES.qwen.build('total = ', ' * rate\nprint(total)\n'));
    assert.deepEqual(errors(activity), []);
  });

  it('uses the family template with raw:true for a model without insert', async () => {
    server.models.push({ name: 'deepseek-coder:1.3b-base', family: 'llama', capabilities: ['completion'], contextLength: 16384 });
    server.script = () => ({ chunks: ['price<｜end▁of▁sentence｜>'] });
    const { engine } = harness({ model: 'deepseek-coder:1.3b-base' });
    assert.equal((await engine.complete(request()))?.text, 'price');
    const body = server.generateRequests()[0]?.body;
    assert.equal(body?.raw, true);
    assert.equal(body?.suffix, undefined);
    assert.equal(body?.prompt, '<｜fim▁begin｜>total = <｜fim▁hole｜> * rate\nprint(total)\n<｜fim▁end｜>');
  });

  describe('errors', () => {
    it('reports a rejected relay token once, naming the command to fix it, without the token', async () => {
      server.requiredToken = 'the-right-one';
      const { engine, activity } = harness();
      assert.equal(await engine.complete(request()), undefined);
      assert.equal(await engine.complete(request({ prefix: 'x = ' })), undefined);
      const messages = errors(activity);
      assert.equal(messages.length, 1, JSON.stringify(messages));
      assert.match(messages[0] ?? '', /AIDE: Set Relay Token/);
      assert.ok(!messages[0]?.includes(TOKEN));
    });

    it('reports an unreachable relay with its address', async () => {
      const port = await closedPort();
      const { activity, engine } = harnessAt(`http://127.0.0.1:${port}`);
      assert.equal(await engine.complete(request()), undefined);
      assert.match(errors(activity)[0] ?? '', new RegExp(`^Relay unreachable at http://127\\.0\\.0\\.1:${port}`));
    });

    it('keeps credentials written into the relay URL out of the report', async () => {
      const { activity, engine } = harnessAt(`http://user:hunter2@127.0.0.1:${await closedPort()}`);
      assert.equal(await engine.complete(request()), undefined);
      const [message] = errors(activity);
      assert.ok(message !== undefined && !message.includes('hunter2') && !message.includes('user:'), message);
    });

    it('reports a missing model', async () => {
      const { engine, activity } = harness({ model: 'missing:7b' });
      assert.equal(await engine.complete(request()), undefined);
      assert.match(errors(activity)[0] ?? '', /missing:7b/);
      assert.match(errors(activity)[0] ?? '', /not installed/);
    });

    it('reports a mid-stream error line, and the same message again only after a success', async () => {
      let fail = true;
      server.script = () => (fail ? { chunks: ['pr'], errorLine: 'model runner has unexpectedly stopped' } : { chunks: ['ok'] });
      const { engine, activity } = harness();
      assert.equal(await engine.complete(request()), undefined);
      assert.equal(await engine.complete(request({ prefix: 'a = ' })), undefined);
      assert.equal(errors(activity).length, 1);
      assert.match(errors(activity)[0] ?? '', /unexpectedly stopped/);
      fail = false;
      assert.equal((await engine.complete(request({ prefix: 'b = ' })))?.text, 'ok');
      fail = true;
      assert.equal(await engine.complete(request({ prefix: 'c = ' })), undefined);
      assert.equal(errors(activity).length, 2);
    });

    it('never rejects, even when a listener throws', async () => {
      server.script = () => ({ chunks: ['ok'] });
      const engine = new CompletionEngine({
        endpoint: () => ({ url: server.url }),
        settings: () => harness().settings,
        onActivity: () => {
          throw new Error('listener bug');
        },
      });
      engines.push(engine);
      assert.equal((await engine.complete(request()))?.text, 'ok');
    });
  });

  it('clearCache forgets completions and model info', async () => {
    server.script = () => ({ chunks: ['price'] });
    const { engine } = harness();
    await engine.complete(request());
    engine.clearCache();
    assert.equal((await engine.complete(request({ documentKey: 'file:///w/c.py' })))?.source, 'network');
    assert.equal(server.requests.filter((r) => r.path === '/api/show').length, 2);
    assert.equal(server.generateRequests().length, 2);
  });

  it('dispose aborts what is in flight and answers later calls with nothing', async () => {
    server.script = () => ({ chunks: ['price'], hold: true });
    const { engine } = harness();
    const pending = engine.complete(request());
    await server.waitFor(() => server.generateRequests().length === 1, 'the request');
    engine.dispose();
    assert.equal(await pending, undefined);
    await server.waitFor(() => server.generateRequests()[0]?.closedEarly === true, 'the request to be closed');
    assert.equal(await engine.complete(request()), undefined);
    assert.equal(server.generateRequests().length, 1);
  });
});

function lastEndSource(activity: CompletionActivity[]): string | undefined {
  const last = activity.at(-1);
  return last?.kind === 'end' ? last.source : undefined;
}

async function waitUntil(predicate: () => boolean, what: string, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** A loopback port with nothing listening (bound, then released). */
