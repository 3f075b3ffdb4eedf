import './.setup';
import { strict as assert } from 'node:assert';
import * as http from 'node:http';
import { CHAT_SYSTEM_PROMPT } from '../../../extension/common/prompts';
import type { HostMessage } from '../../../extension/common/protocol';
import { fakeReplyText, startFakeOllama, type FakeOllama } from '../../fakes/fakeOllama';
import { createControllerFixture, waitFor, type ControllerFixture } from './helpers';

const CHAT_MODEL = 'llama3.2:1b';

function send(fixture: ControllerFixture, requestId: string, text: string): Promise<void> {
  return fixture.controller.handle({ type: 'chat/send', requestId, text, useSelection: false, useFile: false });
}

function deltasOf(messages: HostMessage[]): string {
  return messages.map((m) => (m.type === 'chat/delta' ? m.text : '')).join('');
}

function chatBodies(ollama: FakeOllama): Array<Record<string, unknown>> {
  return ollama.requestsTo('/api/chat').flatMap((r) => (typeof r.body === 'object' && r.body !== null ? [{ ...r.body }] : []));
}

describe('chat controller against a fake Ollama', () => {
  let ollama: FakeOllama;

  before(async () => {
    ollama = await startFakeOllama();
  });

  after(async () => {
    await ollama.close();
  });

  beforeEach(() => ollama.reset());

  it('streams an answer: chat/start, deltas that add up to the reply, one chat/done with stats', async () => {
    const fixture = createControllerFixture(ollama.url, { settings: { 'chat.model': CHAT_MODEL } });
    await send(fixture, 'r1', 'What does this do?');

    const messages = fixture.forRequest('r1');
    assert.equal(messages[0]?.type, 'chat/start');
    assert.deepEqual(messages[0]?.type === 'chat/start' ? messages[0].prompt : undefined, { role: 'user', content: 'What does this do?' });
    assert.equal(deltasOf(messages), fakeReplyText('What does this do?'));
    const terminals = fixture.terminals('r1');
    assert.equal(terminals.length, 1);
    const done = terminals[0];
    assert.ok(done?.type === 'chat/done');
    assert.equal(done.stopped, false);
    assert.ok((done.stats.completionTokens ?? 0) > 0, 'eval_count is reported');
    assert.ok((done.stats.promptTokens ?? 0) > 0, 'prompt_eval_count is reported');
    assert.ok((done.stats.tokensPerSecond ?? 0) > 0, 'tokens per second come from eval_count / eval_duration');
    assert.equal(typeof done.stats.ttftMs, 'number');
    assert.equal(fixture.activity.begun, 1);
    assert.equal(fixture.activity.ended, 1);
  });

  it('sends the system prompt, the question and num_ctx = min(aide.contextLength, the model context)', async () => {
    const fixture = createControllerFixture(ollama.url, { settings: { 'chat.model': 'codellama:7b-code', contextLength: 65536 } });
    await send(fixture, 'r1', 'hello');
    const [body] = chatBodies(ollama);
    assert.deepEqual(body?.options, { num_ctx: 16384 }, 'codellama:7b-code reports a 16384-token context');
    assert.equal(body?.stream, true);
    assert.deepEqual(body?.messages, [
      { role: 'system', content: CHAT_SYSTEM_PROMPT },
      { role: 'user', content: 'hello' },
    ]);

    const bounded = createControllerFixture(ollama.url, { settings: { 'chat.model': 'codellama:7b-code', contextLength: 4096 } });
    await send(bounded, 'r2', 'hello');
    assert.deepEqual(chatBodies(ollama)[1]?.options, { num_ctx: 4096 });
  });

  it('keeps the conversation: a follow-up carries the earlier exchange, and both are persisted', async () => {
    const fixture = createControllerFixture(ollama.url, { settings: { 'chat.model': CHAT_MODEL } });
    await send(fixture, 'r1', 'first question');
    await send(fixture, 'r2', 'second question');
    const messages = chatBodies(ollama)[1]?.messages;
    assert.deepEqual(messages, [
      { role: 'system', content: CHAT_SYSTEM_PROMPT },
      { role: 'user', content: 'first question' },
      { role: 'assistant', content: fakeReplyText('first question') },
      { role: 'user', content: 'second question' },
    ]);
    await fixture.store.flush();
    const persisted = fixture.memento.get<unknown>('aide.chat.sessions');
    assert.match(JSON.stringify(persisted), /second question/);
    assert.equal(fixture.store.current.turns.length, 4);
  });

  it('Stop aborts the HTTP request to Ollama and ends the answer with chat/done stopped', async () => {
    ollama.behave({ tokenDelayMs: 40, tokens: 500 });
    const fixture = createControllerFixture(ollama.url, { settings: { 'chat.model': CHAT_MODEL } });
    const running = send(fixture, 'r1', 'long answer please');
    await waitFor(() => fixture.forRequest('r1').some((m) => m.type === 'chat/delta'), 'the first delta');
    await fixture.controller.handle({ type: 'chat/cancel', requestId: 'r1' });
    await running;

    const terminals = fixture.terminals('r1');
    assert.equal(terminals.length, 1);
    assert.ok(terminals[0]?.type === 'chat/done' && terminals[0].stopped);
    await waitFor(() => ollama.requestsTo('/api/chat')[0]?.closedEarly === true, 'the chat request to be closed by the client');
    await ollama.waitFor((o) => o.stats.generationsAborted === 1 && o.stats.activeGenerations === 0, 2000, 'the generation to stop');
    const answer = fixture.store.current.turns[1];
    assert.equal(answer?.role, 'assistant');
    assert.ok(answer && answer.content.length > 0 && answer.content.length < fakeReplyText('long answer please', 500).length, 'the partial answer is kept');
  });

  it('Stop before the first token (model still loading) aborts the waiting request too', async () => {
    ollama.behave({ loadDelayMs: 5000 });
    const fixture = createControllerFixture(ollama.url, { settings: { 'chat.model': CHAT_MODEL } });
    const running = send(fixture, 'r1', 'hello');
    await waitFor(() => ollama.requestsTo('/api/chat').length === 1, 'the chat request to arrive');
    assert.ok(fixture.controller.stop());
    await running;
    assert.ok(fixture.terminals('r1')[0]?.type === 'chat/done');
    await waitFor(() => ollama.requestsTo('/api/chat')[0]?.closedEarly === true, 'the waiting request to be closed');
  });

  it('says the model is loading when the first token is late and the model is not resident', async () => {
    ollama.behave({ loadDelayMs: 3000 });
    const fixture = createControllerFixture(ollama.url, { settings: { 'chat.model': CHAT_MODEL }, deps: { loadingProbeAfterMs: 20 } });
    const running = send(fixture, 'r1', 'hello');
    await waitFor(() => fixture.forRequest('r1').some((m) => m.type === 'chat/loading'), 'chat/loading');
    assert.equal(ollama.requestsTo('/api/ps').length, 1, '/api/ps is asked once');
    fixture.controller.stop();
    await running;
    assert.equal(fixture.terminals('r1').length, 1);
  });

  it('does not claim loading when the model is already resident', async () => {
    const fixture = createControllerFixture(ollama.url, { settings: { 'chat.model': CHAT_MODEL }, deps: { loadingProbeAfterMs: 20 } });
    await send(fixture, 'warm', 'warm up');
    ollama.behave({ firstTokenDelayMs: 400 });
    await send(fixture, 'r1', 'hello');
    assert.equal(ollama.requestsTo('/api/ps').length, 1, 'the slow first token triggered the probe');
    assert.ok(!fixture.forRequest('r1').some((m) => m.type === 'chat/loading'));
  });

  it("maps a missing model to words naming it, not retryable", async () => {
    const fixture = createControllerFixture(ollama.url, { settings: { 'chat.model': 'mistral:7b' } });
    await send(fixture, 'r1', 'hello');
    const terminals = fixture.terminals('r1');
    assert.deepEqual(terminals, [{ type: 'chat/error', requestId: 'r1', message: "Model 'mistral:7b' is not installed on the Ollama host", retryable: false }]);
    assert.equal(fixture.store.current.turns[1]?.error, "Model 'mistral:7b' is not installed on the Ollama host");
    assert.deepEqual(fixture.activity.failures, ["Model 'mistral:7b' is not installed on the Ollama host"]);
  });

  it('maps an upstream 503 to "Ollama is down", retryable', async () => {
    ollama.behave({ errorBeforeStream: { status: 503, message: 'server busy, please try again.  maximum pending requests exceeded' } });
    const fixture = createControllerFixture(ollama.url, { settings: { 'chat.model': CHAT_MODEL } });
    await send(fixture, 'r1', 'hello');
    const [terminal] = fixture.terminals('r1');
    assert.ok(terminal?.type === 'chat/error');
    assert.match(terminal.message, /^Relay is up but Ollama is down \(503/);
    assert.equal(terminal.retryable, true);
  });

  it('maps a 401 to the relay token hint', async () => {
    const relay = http.createServer((_req, res) => {
      res.writeHead(401, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ error: 'missing or invalid token' }));
    });
    relay.listen(0, '127.0.0.1');
    await new Promise((resolve) => relay.once('listening', resolve));
    try {
      const address = relay.address();
      assert.ok(address !== null && typeof address === 'object');
      const port = address.port;
      const fixture = createControllerFixture(`http://127.0.0.1:${port}`, { token: 'wrong', settings: { 'chat.model': CHAT_MODEL } });
      await send(fixture, 'r1', 'hello');
      assert.deepEqual(fixture.terminals('r1'), [
        { type: 'chat/error', requestId: 'r1', message: 'Wrong or missing relay token — run AIDE: Set Relay Token', retryable: false },
      ]);
    } finally {
      await new Promise((resolve) => {
        relay.close(resolve);
        relay.closeAllConnections();
      });
    }
  });

  it('maps a refused connection to "Relay unreachable at <url>", retryable', async () => {
    const closed = await startFakeOllama();
    const url = closed.url;
    await closed.close();
    const fixture = createControllerFixture(url, { settings: { 'chat.model': CHAT_MODEL } });
    await send(fixture, 'r1', 'hello');
    const [terminal] = fixture.terminals('r1');
    assert.ok(terminal?.type === 'chat/error');
    assert.equal(terminal.message, `Relay unreachable at ${url} (ECONNREFUSED)`);
    assert.equal(terminal.retryable, true);
  });

  it('reports an error line mid-stream once, keeping the partial answer', async () => {
    ollama.behave({ errorAfterTokens: 2, errorMessage: 'model runner has unexpectedly stopped' });
    const fixture = createControllerFixture(ollama.url, { settings: { 'chat.model': CHAT_MODEL } });
    await send(fixture, 'r1', 'hello there friend');
    const terminals = fixture.terminals('r1');
    assert.equal(terminals.length, 1);
    assert.ok(terminals[0]?.type === 'chat/error');
    assert.equal(terminals[0].message, 'Ollama reported an error: model runner has unexpectedly stopped');
    assert.equal(terminals[0].retryable, true);
    const answer = fixture.store.current.turns[1];
    assert.equal(answer?.content, deltasOf(fixture.forRequest('r1')));
    assert.ok(answer?.content);
  });

  it('Retry replaces the failed exchange with a new answer', async () => {
    ollama.behave({ errorBeforeStream: { status: 500, message: 'boom' } });
    const fixture = createControllerFixture(ollama.url, { settings: { 'chat.model': CHAT_MODEL } });
    await send(fixture, 'r1', 'try me');
    assert.equal(fixture.terminals('r1')[0]?.type, 'chat/error');
    ollama.behave({ errorBeforeStream: undefined });

    await fixture.controller.handle({ type: 'chat/retry', requestId: 'r1' });
    const session = fixture.posted.find((m) => m.type === 'session');
    assert.deepEqual(session?.type === 'session' ? session.turns : undefined, [], 'the failed exchange is removed from the view');
    const retried = fixture.posted.filter((m) => m.type === 'chat/start').at(-1);
    assert.ok(retried?.type === 'chat/start' && retried.requestId !== 'r1');
    assert.equal(fixture.terminals(retried.requestId)[0]?.type, 'chat/done');
    assert.deepEqual(
      fixture.store.current.turns.map((t) => [t.role, t.content, t.error]),
      [
        ['user', 'try me', undefined],
        ['assistant', fakeReplyText('try me'), undefined],
      ],
    );
  });

  it('a view that reloads mid-answer gets the conversation and the answer so far, then the rest', async () => {
    ollama.behave({ tokenDelayMs: 30, tokens: 40 });
    const fixture = createControllerFixture(ollama.url, { settings: { 'chat.model': CHAT_MODEL } });
    const running = send(fixture, 'r1', 'stream it');
    await waitFor(() => fixture.forRequest('r1').filter((m) => m.type === 'chat/delta').length >= 3, 'three deltas');

    const reloaded: HostMessage[] = [];
    fixture.controller.attach((message) => reloaded.push(message));
    await fixture.controller.handle({ type: 'ready' });
    await running;

    const init = reloaded[0];
    assert.ok(init?.type === 'init');
    assert.deepEqual(init.turns, [], 'the running exchange is not part of the settled turns');
    const replay = reloaded.filter((m) => 'requestId' in m && m.requestId === 'r1');
    assert.equal(replay[0]?.type, 'chat/start');
    assert.equal(deltasOf(replay), fakeReplyText('stream it', 40), 'replayed text plus the rest is the whole answer');
    assert.equal(replay.filter((m) => m.type === 'chat/done').length, 1);
  });

  it('picks the first installed chat-capable model when none is configured, and lists models on ready', async () => {
    const fixture = createControllerFixture(ollama.url);
    await fixture.controller.handle({ type: 'ready' });
    const models = fixture.posted.find((m) => m.type === 'models');
    assert.ok(models?.type === 'models');
    assert.ok(models.models.includes('nomic-embed-text:latest'));
    assert.equal(models.model, 'qwen2.5-coder:1.5b', 'the first model that can chat, shown as the current one');
    await send(fixture, 'r1', 'hi');
    assert.equal(chatBodies(ollama)[0]?.model, 'qwen2.5-coder:1.5b');
  });

  it('new chat, history open and delete keep the view and the store in step', async () => {
    const fixture = createControllerFixture(ollama.url, { settings: { 'chat.model': CHAT_MODEL } });
    await send(fixture, 'r1', 'first chat');
    const firstId = fixture.store.current.id;
    await fixture.controller.handle({ type: 'chat/new' });
    assert.notEqual(fixture.store.current.id, firstId);
    await send(fixture, 'r2', 'second chat');
    assert.deepEqual(
      fixture.store.summaries().map((s) => s.title),
      ['second chat', 'first chat'],
    );

    await fixture.controller.handle({ type: 'history/open', sessionId: firstId });
    const opened = fixture.posted.filter((m) => m.type === 'session').at(-1);
    assert.ok(opened?.type === 'session' && opened.sessionId === firstId);
    assert.equal(opened.turns[0]?.content, 'first chat');

    await fixture.controller.handle({ type: 'history/delete', sessionId: firstId });
    assert.deepEqual(
      fixture.store.summaries().map((s) => s.title),
      ['second chat'],
    );
    assert.notEqual(fixture.store.current.id, firstId, 'deleting the open session leaves an empty one open');
  });

  it('routes code actions and model selection to their handlers', async () => {
    const fixture = createControllerFixture(ollama.url);
    await fixture.controller.handle({ type: 'code/copy', code: 'a' });
    await fixture.controller.handle({ type: 'code/insert', code: 'b' });
    await fixture.controller.handle({ type: 'code/apply', code: 'c' });
    assert.deepEqual(fixture.codeActions, [
      { action: 'copy', code: 'a' },
      { action: 'insert', code: 'b' },
      { action: 'apply', code: 'c' },
    ]);
    await fixture.controller.handle({ type: 'model/select', model: CHAT_MODEL });
    assert.equal(fixture.settings.current.chatModel, CHAT_MODEL);
    const models = fixture.posted.filter((m) => m.type === 'models').at(-1);
    assert.ok(models?.type === 'models' && models.model === CHAT_MODEL);
  });
});
