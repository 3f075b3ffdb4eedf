/**
 * The built relay (dist/server.js) as a process: SIGTERM under load lets in-flight streams finish,
 * answers requests arriving on open connections with 503, stops listening, and exits 0; streams still
 * running at DRAIN_TIMEOUT_MS are stopped, upstream included.
 */
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { fakeReplyTokens } from '../fakes/fakeOllama';
import { bearer, doneRecord, nativeText, ndjsonLines, send, sseChatText, sseData, sseObjects } from './support/http';
import { ALICE, CHAT, RELAY_TOKENS, chatBody, Teardown } from './support/rig';
import { useSuiteFake } from './support/useSuiteFake';
import { waitUntil, within } from './support/wait';

const repoRoot = path.resolve(__dirname, '..', '..');

interface RelayProcess {
  child: ChildProcess;
  url: string;
  port: number;
  exited: Promise<number | null>;
  output: () => string;
}

async function spawnRelay(teardown: Teardown, upstream: string, env: Record<string, string>): Promise<RelayProcess> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'aide-scale-proc-'));
  teardown.add(() => rmSync(dataDir, { recursive: true, force: true }));
  const child = spawn(process.execPath, [path.join(repoRoot, 'dist', 'server.js')], {
    cwd: repoRoot,
    env: { PATH: process.env.PATH ?? '', PORT: '0', HOST: '127.0.0.1', OLLAMA_HOST: upstream, RELAY_TOKENS, RELAY_DATA_DIR: dataDir, LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  teardown.add(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
  });
  let output = '';
  child.stdout?.on('data', (bytes: Buffer) => (output += bytes.toString('utf8')));
  child.stderr?.on('data', (bytes: Buffer) => (output += bytes.toString('utf8')));
  await waitUntil(() => /listening on http:\/\/127\.0\.0\.1:\d+/.test(output) || child.exitCode !== null, 10_000, 'the relay process to listen');
  const match = /listening on (http:\/\/127\.0\.0\.1:(\d+))/.exec(output);
  if (!match?.[1] || !match[2]) throw new Error(`the relay did not start: ${output}`);
  return { child, url: match[1], port: Number(match[2]), exited, output: () => output };
}

function connectionRefused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'ECONNREFUSED'));
  });
}

/** A request whose head is only partly sent: the connection is open and in use, the request not yet complete. */
function partialRequest(port: number, body: string): { finish: () => Promise<string>; socket: net.Socket } {
  const socket = net.connect(port, '127.0.0.1');
  socket.write(`POST /api/chat HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAuthorization: Bearer ${ALICE}\r\n`);
  let received = '';
  const ended = new Promise<string>((resolve) => {
    socket.on('data', (bytes: Buffer) => (received += bytes.toString('utf8')));
    socket.once('close', () => resolve(received));
  });
  return {
    socket,
    finish: () => {
      socket.write(`Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
      return within(ended, 10_000, 'the answer to the request finished after SIGTERM');
    },
  };
}

describe('scale: SIGTERM drain of the built relay', function () {
  this.timeout(30_000);
  const teardown = new Teardown();
  const suite = useSuiteFake(teardown, { settleMs: 5000 });

  before(async () => {
    await promisify(execFile)(process.execPath, ['esbuild.mjs', 'relay'], { cwd: repoRoot, timeout: 60_000 });
  });

  it('finishes in-flight streams, answers 503 on open connections, stops listening and exits 0', async () => {
    suite.fake.behave({ tokens: 40, tokenDelayMs: 25 });
    const relay = await spawnRelay(teardown, suite.fake.url, { DRAIN_TIMEOUT_MS: '15000' });
    const started = new Set<number>();
    const streams = [0, 1, 2].map((i) =>
      send(`${relay.url}/api/chat`, { body: chatBody(CHAT, `draining ${i}`), headers: bearer(ALICE), onChunk: () => started.add(i), timeoutMs: 20_000 }),
    );
    const openai = send(`${relay.url}/v1/chat/completions`, {
      body: { model: CHAT, stream: true, messages: [{ role: 'user', content: 'draining sse' }] },
      headers: bearer(ALICE),
      onChunk: () => started.add(3),
      timeoutMs: 20_000,
    });
    await waitUntil(() => started.size === 4, 5000, 'every stream to be under way');
    const late = partialRequest(relay.port, JSON.stringify(chatBody(CHAT, 'arrives during the drain')));
    // Give the relay the first bytes of the late request before the signal, so its connection is in use.
    await new Promise((resolve) => setTimeout(resolve, 200));

    relay.child.kill('SIGTERM');
    await waitUntil(() => connectionRefused(relay.port), 5000, 'the listener to close', 50);
    const lateAnswer = await late.finish();

    assert.match(lateAnswer, /^HTTP\/1\.1 503 /, `a request arriving during the drain gets 503, got: ${lateAnswer.slice(0, 200)}`);
    assert.match(lateAnswer, /\r\n\r\n\{"error":"[^"]+"\}/);
    const natives = await within(Promise.all(streams), 20_000, 'the in-flight streams');
    natives.forEach((response, i) => {
      assert.equal(response.status, 200);
      assert.equal(response.cut, false);
      const lines = ndjsonLines(response.body);
      assert.ok(doneRecord(lines), `stream ${i} ended with its final record`);
      assert.equal(nativeText(lines), fakeReplyTokens(`draining ${i}`, 40).join(''));
    });
    const sse = await openai;
    assert.equal(sseData(sse.body).at(-1), '[DONE]');
    assert.equal(sseChatText(sseObjects(sse.body)), fakeReplyTokens('draining sse', 40).join(''));
    assert.equal(await within(relay.exited, 10_000, 'the relay process to exit'), 0, `exit code 0; output: ${relay.output().slice(-500)}`);
    assert.equal(suite.fake.stats.generationsCompleted, 4);
    assert.equal(suite.fake.stats.generationsAborted, 0);
    assert.equal(suite.fake.requestsTo('/api/chat').some((request) => request.rawBody.includes('arrives during the drain')), false, 'the late request never reached Ollama');
  });

  it('stops streams still running at DRAIN_TIMEOUT_MS, upstream too, and exits 0', async () => {
    suite.fake.behave({ tokens: 400, tokenDelayMs: 25 });
    const relay = await spawnRelay(teardown, suite.fake.url, { DRAIN_TIMEOUT_MS: '300' });
    let bytes = 0;
    const stream = send(`${relay.url}/api/chat`, { body: chatBody(CHAT, 'too long to drain'), headers: bearer(ALICE), onChunk: (chunk) => (bytes += chunk.length), timeoutMs: 20_000 }).catch(
      (error: unknown) => (error instanceof Error ? error : new Error(String(error))),
    );
    await waitUntil(() => bytes > 0, 5000, 'the stream to be under way');

    relay.child.kill('SIGTERM');

    assert.equal(await within(relay.exited, 5000, 'the relay process to exit after its drain deadline'), 0);
    await suite.fake.waitFor((f) => f.stats.activeGenerations === 0, 2000, 'the generation to stop');
    assert.equal(suite.fake.stats.generationsAborted, 1, 'the generation was stopped, not left running for nobody');
    const outcome = await stream;
    assert.ok(outcome instanceof Error || doneRecord(ndjsonLines(outcome.body)) === undefined, 'the cut stream was not presented as complete');
  });
});
