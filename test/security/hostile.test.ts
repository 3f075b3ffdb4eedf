/**
 * Hostile input against the real relay over real sockets. Every case asserts the answer (a status, or a
 * closed connection), that nothing unintended reached Ollama, and that the relay then still serves a
 * normal streamed chat.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { assertServesChat, CHAT_MODEL, chatBody, errorText, forwarded, requestLines, type SecurityRig, startSecurityRig, TOKEN } from './helpers/relayRig';
import { sleep, waitUntil } from './helpers/processes';
import { statusesIn, wireExchange } from './helpers/wire';

const MAX_BODY_BYTES = 1024 * 1024;
const HEADERS_TIMEOUT_MS = 1_000;
/** Node checks header deadlines once per second (connectionsCheckingInterval), so allow for one tick and slack. */
const HEADERS_CUTOFF_MS = HEADERS_TIMEOUT_MS + 1_000 + 2_500;

const AUTH = `Authorization: Bearer ${TOKEN}\r\n`;

/** A complete HTTP/1.1 request with a correct Content-Length, as bytes. */
function request(method: string, path: string, body: string | Buffer = '', extraHeaders = ''): Buffer {
  const payload = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  const head = `${method} ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n${AUTH}Content-Type: application/json\r\nContent-Length: ${payload.length}\r\nConnection: close\r\n${extraHeaders}\r\n`;
  return Buffer.concat([Buffer.from(head, 'latin1'), payload]);
}

/** A fetch with the relay token and a deadline. */
async function post(url: string, path: string, body: string | Buffer, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  const response = await fetch(`${url}${path}`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : new Uint8Array(body),
    signal: AbortSignal.timeout(10_000),
  });
  return { status: response.status, body: await response.text() };
}

/** Keeps a well-behaved client busy beside an attack; resolves with how many requests succeeded and failed. */
function politeClient(url: string): { stop(): Promise<{ ok: number; failed: string[] }> } {
  let running = true;
  const failed: string[] = [];
  let ok = 0;
  const loop = (async () => {
    while (running) {
      try {
        const response = await fetch(`${url}/api/version`, { headers: { Authorization: `Bearer ${TOKEN}` }, signal: AbortSignal.timeout(3_000) });
        await response.text();
        if (response.status === 200) ok += 1;
        else failed.push(`status ${response.status}`);
      } catch (error) {
        failed.push(error instanceof Error ? error.message : String(error));
      }
      await sleep(100);
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return { ok, failed };
    },
  };
}

/** Opens `count` TCP connections that never send anything; resolves once all have connected or failed. */
/** Opens `count` silent connections; `connected` counts those the relay accepted (it may close them later). */
async function openIdle(port: number, count: number): Promise<{ sockets: net.Socket[]; connected: () => number }> {
  const sockets: net.Socket[] = [];
  let connected = 0;
  for (let i = 0; i < count; i += 1) {
    const socket = net.connect({ host: '127.0.0.1', port }, () => (connected += 1));
    socket.on('error', () => undefined);
    sockets.push(socket);
  }
  await waitUntil(() => sockets.every((s) => !s.connecting), 10_000, `${count} connections to open`);
  return { sockets, connected: () => connected };
}

describe('security: hostile input against the relay', function () {
  this.timeout(30_000);
  let rig: SecurityRig;

  before(async () => {
    rig = await startSecurityRig({ MAX_BODY_BYTES: String(MAX_BODY_BYTES), HEADERS_TIMEOUT_MS: String(HEADERS_TIMEOUT_MS) });
  });

  after(async () => {
    await rig?.close();
  });

  /** Length of the tap's record when the current test started. */
  let mark = 0;
  const sentLines = (): string[] => requestLines(rig.tap.sent().slice(mark));
  /** Nothing of this test's traffic left the relay toward Ollama, not even a partial request. */
  const assertNothingForwarded = (): void => {
    assert.deepEqual(sentLines(), [], 'the relay sent a request upstream');
    assert.deepEqual(forwarded(rig.fake).map((r) => `${r.method} ${r.path}`), []);
  };

  beforeEach(() => {
    rig.fake.reset();
    mark = rig.tap.sent().length;
  });

  afterEach(async function () {
    // Whatever the attack, the relay keeps serving ordinary editors.
    if (this.currentTest?.state === 'passed') await assertServesChat(rig.url, `after ${this.currentTest.title.slice(0, 40)}`);
  });

  describe('bodies', () => {
    it('answers 413 to a declared Content-Length above MAX_BODY_BYTES without reading it', async () => {
      const head = `POST /api/chat HTTP/1.1\r\nHost: 127.0.0.1\r\n${AUTH}Content-Type: application/json\r\nContent-Length: ${MAX_BODY_BYTES * 16}\r\n\r\n`;
      const result = await wireExchange(rig.port, [head, '{"model":"'], { timeoutMs: 5_000, responses: 1 });
      assert.deepEqual(result.statuses, [413], result.text);
      assert.match(result.text, /MAX_BODY_BYTES/);
      assertNothingForwarded();
    });

    it('answers 413 to a chunked body that grows past MAX_BODY_BYTES', async () => {
      const chunk = Buffer.alloc(256 * 1024, 'a');
      const pieces: Buffer[] = [Buffer.from(`POST /api/chat HTTP/1.1\r\nHost: 127.0.0.1\r\n${AUTH}Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n`, 'latin1')];
      for (let i = 0; i < 6; i += 1) pieces.push(Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n')]));
      pieces.push(Buffer.from('0\r\n\r\n'));
      const result = await wireExchange(rig.port, pieces, { timeoutMs: 5_000, responses: 1, gapMs: 5 });
      assert.deepEqual(result.statuses, [413], result.text);
      assertNothingForwarded();
    });

    it('answers 413 through fetch too (the OpenAI dialect on /v1)', async () => {
      const big = JSON.stringify({ model: CHAT_MODEL, messages: [{ role: 'user', content: 'x'.repeat(MAX_BODY_BYTES * 2) }] });
      const { status, body } = await post(rig.url, '/v1/chat/completions', big);
      assert.equal(status, 413, body);
      assert.match(body, /"error":\{/);
    });

    it('answers 400 to 100 000 unclosed "[" without a crash', async () => {
      const { status, body } = await post(rig.url, '/api/chat', '['.repeat(100_000));
      assert.equal(status, 400, body);
      assertNothingForwarded();
    });

    it('answers 400 to a 100 000-deep (closed) JSON array as the body', async () => {
      const { status, body } = await post(rig.url, '/api/generate', `${'['.repeat(100_000)}${']'.repeat(100_000)}`);
      assert.equal(status, 400, body);
      assertNothingForwarded();
    });

    const deepObject = `${'{"a":'.repeat(50_000)}1${'}'.repeat(50_000)}`;
    const deepInCacheable: Array<[string, string]> = [
      ['/api/chat', `{"model":"${CHAT_MODEL}","messages":[{"role":"user","content":"hi"}],"options":{"temperature":0,"deep":${deepObject}}}`],
      ['/api/embed', `{"model":"nomic-embed-text","input":"x","options":{"deep":${deepObject}}}`],
      ['/v1/embeddings', `{"model":"nomic-embed-text","input":"x","user":${deepObject}}`],
    ];
    for (const [path, payload] of deepInCacheable) {
      it(`answers 400, not 500, to a 50 000-deep value inside a cacheable ${path} request`, async () => {
        const { status, body } = await post(rig.url, path, payload);
        assert.equal(status, 400, `expected 400 (invalid body), got ${status}: ${errorText(body).slice(0, 200)}`);
      });
    }

    it('never fails (5xx) on a 50 000-deep value inside a streaming chat request', async () => {
      const payload = `{"model":"${CHAT_MODEL}","messages":[{"role":"user","content":"hi"}],"format":${deepObject}}`;
      const { status, body } = await post(rig.url, '/api/chat', payload);
      // Passed through, Ollama's own decoder refuses nesting deeper than 10 000 (400); refused by the relay, 400.
      assert.ok(status === 200 || status === 400, `got ${status}: ${errorText(body).slice(0, 200)}`);
    });

    it('answers 400 to invalid UTF-8 inside the JSON', async () => {
      const payload = Buffer.concat([Buffer.from(`{"model":"${CHAT_MODEL}","messages":[{"role":"user","content":"bad `), Buffer.from([0xff, 0xfe, 0xc0, 0xaf]), Buffer.from('"}]}')]);
      const { status, body } = await post(rig.url, '/api/chat', payload);
      assert.equal(status, 400, `expected 400, got ${status}: ${body.slice(0, 200)}`);
      assert.deepEqual(sentLines(), [], 'invalid UTF-8 must not be passed to Ollama');
    });

    it('answers 400 to a body that is not JSON at all, and to an empty one', async () => {
      assert.equal((await post(rig.url, '/api/chat', '\u0000\u0001binary')).status, 400);
      assert.equal((await post(rig.url, '/api/generate', '')).status, 400);
      assertNothingForwarded();
    });
  });

  describe('headers', () => {
    it('refuses a bare CR inside a header value (400 or closed)', async () => {
      const result = await wireExchange(rig.port, request('POST', '/api/chat', chatBody('cr', false), 'X-Note: a\rInjected: yes\r\n'), { timeoutMs: 5_000 });
      assert.ok(result.statuses.every((s) => s === 400) && (result.statuses.length > 0 || result.closedByPeer), result.text);
      assertNothingForwarded();
    });

    it('refuses a NUL byte inside a header value (400 or closed)', async () => {
      const result = await wireExchange(rig.port, request('GET', '/api/tags', '', 'X-Note: a\u0000b\r\n'), { timeoutMs: 5_000 });
      assert.ok(result.statuses.every((s) => s === 400) && (result.statuses.length > 0 || result.closedByPeer), result.text);
      assertNothingForwarded();
    });

    it('refuses an obsolete folded header line (400 or closed)', async () => {
      const result = await wireExchange(rig.port, request('GET', '/api/tags', '', 'X-Note: a\r\n Injected: folded\r\n'), { timeoutMs: 5_000 });
      assert.ok(result.statuses.every((s) => s === 400) && (result.statuses.length > 0 || result.closedByPeer), result.text);
      assertNothingForwarded();
    });

    it('never lets a LF in a header value reach Ollama as a header of its own', async () => {
      const result = await wireExchange(rig.port, request('GET', '/api/tags', '', 'X-Note: a\nX-Injected: yes\r\n'), { timeoutMs: 5_000 });
      assert.ok(result.statuses.length > 0 || result.closedByPeer, 'the relay answered or closed');
      for (const seen of rig.fake.requests) assert.equal(seen.headers['x-injected'], undefined);
      assert.doesNotMatch(rig.tap.sent().slice(mark), /X-Injected/i);
    });

    it('never echoes a client X-Request-Id that carries control characters or is oversized', async () => {
      const response = await fetch(`${rig.url}/api/version`, { headers: { Authorization: `Bearer ${TOKEN}`, 'X-Request-Id': 'abc%0d%0aSet-Cookie:%20x=1' }, signal: AbortSignal.timeout(5_000) });
      await response.text();
      assert.notEqual(response.headers.get('x-request-id'), 'abc%0d%0aSet-Cookie:%20x=1');
      assert.equal(response.headers.get('set-cookie'), null);
      const long = await fetch(`${rig.url}/api/version`, { headers: { Authorization: `Bearer ${TOKEN}`, 'X-Request-Id': 'a'.repeat(500) }, signal: AbortSignal.timeout(5_000) });
      await long.text();
      assert.ok((long.headers.get('x-request-id') ?? '').length <= 64);
    });

    it('refuses headers above the size limit (a 64 KiB Authorization header) with 431 or 400', async () => {
      const result = await wireExchange(rig.port, `GET /api/tags HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${'A'.repeat(64 * 1024)}\r\n\r\n`, { timeoutMs: 5_000 });
      const status = result.statuses[0];
      assert.ok(status === undefined ? result.closedByPeer : status === 431 || status === 400, result.text.slice(0, 200));
      assertNothingForwarded();
    });

    it('sends no CORS grant: a browser page can neither preflight nor read a response', async () => {
      const preflight = await fetch(`${rig.url}/api/chat`, {
        method: 'OPTIONS',
        headers: { Origin: 'https://evil.example', 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'authorization,content-type' },
        signal: AbortSignal.timeout(5_000),
      });
      await preflight.text();
      assert.ok(preflight.status >= 400, `preflight answered ${preflight.status}`);
      assert.equal(preflight.headers.get('access-control-allow-origin'), null);
      const simple = await fetch(`${rig.url}/api/tags`, { headers: { Authorization: `Bearer ${TOKEN}`, Origin: 'https://evil.example' }, signal: AbortSignal.timeout(5_000) });
      await simple.text();
      assert.equal(simple.headers.get('access-control-allow-origin'), null);
      assert.equal(simple.headers.get('access-control-allow-credentials'), null);
    });

    it('ignores client-supplied Host, Origin and upstream credentials when forwarding', async () => {
      const { status } = await post(rig.url, '/api/chat', chatBody('headers', false), {
        Origin: 'https://evil.example',
        'X-Forwarded-Host': 'evil.example',
        'X-Ollama-Host': 'http://evil.example:11434',
        Cookie: 'session=stolen',
      });
      assert.equal(status, 200);
      const seen = rig.fake.requestsTo('/api/chat')[0];
      assert.ok(seen);
      assert.equal(seen.headers.origin, undefined);
      assert.equal(seen.headers.cookie, undefined);
      assert.equal(seen.headers.authorization, undefined);
      assert.equal(seen.headers['x-forwarded-host'], undefined);
      assert.equal(seen.headers.host, new URL(rig.tap.url).host, 'Host is the upstream\'s own');
    });
  });

  describe('paths', () => {
    const disguisedAdmin = [
      '/api/pull',
      '/api/../api/pull',
      '/api/%2e%2e/api/pull',
      '/api/%2E%2E/api/pull',
      '/api/chat/../pull',
      '/api/./pull',
      '//api/pull',
      '/api//pull',
      '/api/pull/',
      '/API/PULL',
      '/api/%70ull',
      '/api/pull%00',
      '/api/pull;.json',
      '/api/pull?x=/api/chat',
      '\\api\\pull',
      '/api/blobs/../pull',
      '/api/delete',
      '/api/create/',
      '/api/experimental/web_search',
      '/v1/models/..%2f..%2fapi%2fpull',
      'http://127.0.0.1/api/pull',
    ];

    for (const path of disguisedAdmin) {
      it(`answers ${JSON.stringify(path)} with 403 or 404, and Ollama never sees an admin request`, async () => {
        const result = await wireExchange(rig.port, request('POST', path, '{"model":"llama3.2:1b","name":"llama3.2:1b"}'), { timeoutMs: 5_000, responses: 1 });
        assert.equal(result.statuses.length, 1, result.text);
        // 403 (admin route), 404 (no such route), 405 (a GET-only route) or 400 (malformed target) are all refusals.
        assert.ok([400, 403, 404, 405].includes(result.statuses[0] ?? 0), `${path}: ${result.text}`);
        assert.equal(rig.fake.stats.adminRequests, 0);
        for (const line of sentLines()) assert.ok(!/pull|push|create|copy|delete|blobs|experimental/.test(line), `sent upstream: ${line}`);
      });
    }

    it('answers DELETE /api/delete with 403', async () => {
      const result = await wireExchange(rig.port, request('DELETE', '/api/delete', '{"model":"llama3.2:1b"}'), { timeoutMs: 5_000, responses: 1 });
      assert.deepEqual(result.statuses, [403], result.text);
      assertNothingForwarded();
    });
  });

  describe('slow and idle clients', () => {
    it('disconnects a client that trickles its headers (slowloris) while a polite client is served', async () => {
      const polite = politeClient(rig.url);
      const started = Date.now();
      const pieces = ['POST /api/chat HTTP/1.1\r\n', 'Host: 127.0.0.1\r\n'];
      for (let i = 0; i < 100; i += 1) pieces.push(`X-Slow-${i}: ${i}\r\n`);
      const result = await wireExchange(rig.port, pieces, { timeoutMs: HEADERS_CUTOFF_MS, gapMs: 150 });
      const openFor = Date.now() - started;
      const { ok, failed } = await polite.stop();
      assert.equal(result.closedByPeer, true, `still open after ${openFor} ms`);
      assert.ok(result.statuses.every((s) => s === 408 || s === 400), result.text);
      assert.deepEqual(failed, []);
      assert.ok(ok >= 3, `the polite client was served only ${ok} times`);
      assert.ok(!sentLines().includes('POST /api/chat'), 'the slow request reached Ollama');
    });

    it('forwards nothing while a body trickles in, serves others meanwhile, and answers once it is complete', async () => {
      const body = Buffer.from(chatBody('slow body', false));
      const head = Buffer.from(`POST /api/chat HTTP/1.1\r\nHost: 127.0.0.1\r\n${AUTH}Content-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`, 'latin1');
      const polite = politeClient(rig.url);
      const slices: Buffer[] = [head];
      const step = Math.ceil(body.length / 12);
      for (let i = 0; i < body.length; i += step) slices.push(body.subarray(i, i + step));
      // Set synchronously just before the last slice is written, so the relay cannot have read it yet.
      let lastSliceWritten = false;
      let chatSeenBeforeEnd = false;
      const watcher = setInterval(() => {
        if (sentLines().includes('POST /api/chat') && !lastSliceWritten) chatSeenBeforeEnd = true;
      }, 10);
      const result = await wireExchange(rig.port, slices, {
        timeoutMs: 10_000,
        gapMs: 120,
        responses: 1,
        onWrite: (index) => {
          if (sentLines().includes('POST /api/chat')) chatSeenBeforeEnd = true;
          if (index === slices.length - 1) lastSliceWritten = true;
        },
      });
      clearInterval(watcher);
      const { ok, failed } = await polite.stop();
      assert.deepEqual(result.statuses, [200], result.text);
      assert.equal(chatSeenBeforeEnd, false, 'the relay contacted Ollama before the body was complete');
      assert.deepEqual(failed, []);
      assert.ok(ok >= 3, `the polite client was served only ${ok} times`);
    });

    it('keeps serving beside 1 000 idle connections', async function () {
      this.timeout(40_000);
      const { sockets, connected } = await openIdle(rig.port, 1_000);
      try {
        assert.ok(connected() >= 900, `only ${connected()} of 1 000 connections were accepted`);
        await assertServesChat(rig.url, 'beside a thousand idle sockets');
        const polite = politeClient(rig.url);
        await sleep(1_000);
        const { ok, failed } = await polite.stop();
        assert.deepEqual(failed, []);
        assert.ok(ok >= 3, `the polite client was served only ${ok} times`);
      } finally {
        for (const socket of sockets) socket.destroy();
      }
    });

    it('closes connections that never send a byte once HEADERS_TIMEOUT_MS has passed', async function () {
      // Otherwise idle sockets are held forever and a client can exhaust the relay's file descriptors.
      this.timeout(20_000);
      const { sockets } = await openIdle(rig.port, 50);
      try {
        const closedCount = (): number => sockets.filter((socket) => socket.closed).length;
        await waitUntil(() => closedCount() === sockets.length, HEADERS_CUTOFF_MS + 2_000, `the relay to close ${sockets.length} silent connections`).catch((error: unknown) => {
          throw new Error(`${error instanceof Error ? error.message : String(error)} (closed ${closedCount()})`);
        });
      } finally {
        for (const socket of sockets) socket.destroy();
      }
    });
  });

  describe('request smuggling', () => {
    const smuggled = `POST /api/pull HTTP/1.1\r\nHost: 127.0.0.1\r\n${AUTH}Content-Type: application/json\r\nContent-Length: 24\r\n\r\n{"model":"llama3.2:1b"}\n`;
    const chat = chatBody('smuggle', false);

    const cases: Array<[string, string]> = [
      [
        'Content-Length together with Transfer-Encoding: chunked',
        `POST /api/chat HTTP/1.1\r\nHost: 127.0.0.1\r\n${AUTH}Content-Type: application/json\r\nContent-Length: ${chat.length + 5}\r\nTransfer-Encoding: chunked\r\n\r\n${chat.length.toString(16)}\r\n${chat}\r\n0\r\n\r\n${smuggled}`,
      ],
      [
        'two Content-Length headers with different values',
        `POST /api/chat HTTP/1.1\r\nHost: 127.0.0.1\r\n${AUTH}Content-Type: application/json\r\nContent-Length: ${chat.length}\r\nContent-Length: ${chat.length + smuggled.length}\r\n\r\n${chat}${smuggled}`,
      ],
      [
        'Transfer-Encoding: chunked, identity',
        `POST /api/chat HTTP/1.1\r\nHost: 127.0.0.1\r\n${AUTH}Content-Type: application/json\r\nTransfer-Encoding: chunked, identity\r\n\r\n${chat.length.toString(16)}\r\n${chat}\r\n0\r\n\r\n${smuggled}`,
      ],
      [
        'Transfer-Encoding with a space before the colon',
        `POST /api/chat HTTP/1.1\r\nHost: 127.0.0.1\r\n${AUTH}Content-Type: application/json\r\nContent-Length: ${chat.length}\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\n${smuggled}`,
      ],
      [
        'a Content-Length that is not a plain number',
        `POST /api/chat HTTP/1.1\r\nHost: 127.0.0.1\r\n${AUTH}Content-Type: application/json\r\nContent-Length: +${chat.length}\r\n\r\n${chat}${smuggled}`,
      ],
      [
        'a chunk size with a bogus extension and a bare LF',
        `POST /api/chat HTTP/1.1\r\nHost: 127.0.0.1\r\n${AUTH}Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n${chat.length.toString(16)};x\n${chat}\r\n0\r\n\r\n${smuggled}`,
      ],
    ];

    for (const [name, payload] of cases) {
      it(`refuses ${name} (400 or closed), and no second request reaches Ollama`, async () => {
        const result = await wireExchange(rig.port, payload, { timeoutMs: 5_000 });
        assert.ok(result.statuses.length > 0 || result.closedByPeer, 'the relay answered or closed');
        assert.ok(result.statuses.every((s) => s === 400), `expected only 400s, got ${statusesIn(result.text).join(',')}: ${result.text.slice(0, 300)}`);
        assertNothingForwarded();
        assert.equal(rig.fake.stats.adminRequests, 0);
      });
    }

    it('answers a pipelined pair one by one: the second request is authenticated and routed on its own', async () => {
      const first = `POST /api/chat HTTP/1.1\r\nHost: 127.0.0.1\r\n${AUTH}Content-Type: application/json\r\nContent-Length: ${chat.length}\r\n\r\n${chat}`;
      const second = `POST /api/pull HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}`;
      const result = await wireExchange(rig.port, first + second, { timeoutMs: 5_000 });
      assert.deepEqual(result.statuses, [200, 403], result.text.slice(0, 500));
      assert.deepEqual(sentLines(), ['POST /api/chat']);
    });
  });

  describe('floods', () => {
    it('answers a flood of wrong tokens with 401s, logs none of them, and keeps memory bounded', async function () {
      this.timeout(60_000);
      const agent = new http.Agent({ keepAlive: true, maxSockets: 32 });
      const wrong = (i: number): string => `wrong-${i}-${'z'.repeat(200)}`;
      const hit = (i: number): Promise<number> =>
        new Promise((resolve, reject) => {
          const req = http.request(`${rig.url}/api/chat`, { method: 'POST', agent, headers: { Authorization: `Bearer ${wrong(i)}`, 'Content-Type': 'application/json' }, timeout: 10_000 }, (res) => {
            res.resume();
            res.on('end', () => resolve(res.statusCode ?? 0));
          });
          req.on('timeout', () => req.destroy(new Error('flood request timed out')));
          req.on('error', reject);
          req.end(chatBody('flood', false));
        });
      const total = 4_000;
      const before = process.memoryUsage().rss;
      const statuses = new Map<number, number>();
      try {
        for (let start = 0; start < total; start += 200) {
          const batch = await Promise.all(Array.from({ length: 200 }, (_, k) => hit(start + k)));
          for (const status of batch) statuses.set(status, (statuses.get(status) ?? 0) + 1);
        }
      } finally {
        agent.destroy();
      }
      const grown = process.memoryUsage().rss - before;
      assert.deepEqual([...statuses.entries()], [[401, total]]);
      assertNothingForwarded();
      // Generous bound: 4 000 refused requests must not cost anywhere near this much.
      assert.ok(grown < 200 * 1024 * 1024, `rss grew by ${Math.round(grown / 1024 / 1024)} MiB`);
      assert.ok(!rig.logs.text.includes(wrong(0)) && !rig.logs.text.includes(wrong(total - 1)), 'a presented token was logged');
    });
  });
});
