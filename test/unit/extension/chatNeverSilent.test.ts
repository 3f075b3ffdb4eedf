import './.setup';
import { strict as assert } from 'node:assert';
import { createControllerFixture, startScriptedOllama, type ScriptedOllama } from './helpers';

describe('chat controller: cuts are never silent', () => {
  let ollama: ScriptedOllama;

  beforeEach(async () => {
    ollama = await startScriptedOllama('a partial answer');
  });

  afterEach(async () => {
    await ollama.close();
  });

  it('an answer that ended at the token limit is marked cut off, live and in the saved history', async () => {
    ollama.doneReason = 'length';
    const fixture = createControllerFixture(ollama.url, { settings: { 'chat.model': 'llama3.2:1b' } });
    await fixture.controller.ask({ display: 'q', build: () => 'q' }, 'A');
    const [done] = fixture.terminals('A');
    assert.ok(done?.type === 'chat/done');
    assert.equal(done.stats.cutOff, true);
    assert.equal(fixture.store.current.turns[1]?.stats?.cutOff, true);

    ollama.doneReason = 'stop';
    await fixture.controller.ask({ display: 'q2', build: () => 'q2' }, 'B');
    const [complete] = fixture.terminals('B');
    assert.ok(complete?.type === 'chat/done');
    assert.equal(complete.stats.cutOff, undefined, 'a complete answer is not marked');
  });

  it('earlier exchanges left out to fit the window are announced to the model and under the answer', async () => {
    const fixture = createControllerFixture(ollama.url, { settings: { 'chat.model': 'llama3.2:1b', contextLength: 512 } });
    await fixture.controller.ask({ display: 'long one', build: () => 'x'.repeat(1000) }, 'A');
    await fixture.controller.ask({ display: 'next', build: () => 'next' }, 'B');
    const body = ollama.chats[1];
    assert.ok(typeof body === 'object' && body !== null && 'messages' in body && Array.isArray(body.messages));
    assert.equal(body.messages.length, 2, 'system prompt and the question only');
    assert.match(JSON.stringify(body.messages[0]), /earliest exchange of this conversation is left out to fit the context window/);
    const [done] = fixture.terminals('B');
    assert.ok(done?.type === 'chat/done');
    assert.equal(done.stats.historyLeftOut, 1);
  });
});
