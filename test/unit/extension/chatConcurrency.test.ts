import './.setup';
import { strict as assert } from 'node:assert';
import { createControllerFixture, startScriptedOllama, waitFor, type ScriptedOllama } from './helpers';

describe('chat controller: questions asked while an answer streams', () => {
  let ollama: ScriptedOllama;

  beforeEach(async () => {
    ollama = await startScriptedOllama('x'.repeat(700));
    ollama.chunkDelayMs = 10;
  });

  afterEach(async () => {
    await ollama.close();
  });

  it('two questions asked in the same tick run one after the other; only the newest streams and Stop reaches it', async () => {
    const fixture = createControllerFixture(ollama.url, { settings: { 'chat.model': 'llama3.2:1b' } });
    const first = fixture.controller.ask({ display: 'first', build: () => 'first' }, 'A');
    await waitFor(() => fixture.posted.some((m) => m.type === 'chat/delta'), 'the first answer to stream');

    // e.g. Explain Selection run twice while an answer streams
    const second = fixture.controller.ask({ display: 'second', build: () => 'second' }, 'B');
    const third = fixture.controller.ask({ display: 'third', build: () => 'third' }, 'C');
    await waitFor(() => fixture.forRequest('C').some((m) => m.type === 'chat/delta'), 'the newest question to stream');

    assert.equal(fixture.controller.stop(), true);
    await Promise.all([first, second, third]);

    assert.equal(fixture.forRequest('B').filter((m) => m.type === 'chat/delta').length, 0, 'the superseded question never streamed');
    for (const requestId of ['A', 'B', 'C']) {
      const terminals = fixture.terminals(requestId);
      assert.equal(terminals.length, 1, `${requestId} ends exactly once`);
      assert.ok(terminals[0]?.type === 'chat/done' && terminals[0].stopped, `${requestId} ends stopped`);
    }
    assert.equal(fixture.controller.isGenerating, false);
    await waitFor(() => ollama.abortedChats === ollama.chats.length, 'every upstream answer to be closed');

    // Each exchange whole and in order: user, assistant, user, assistant…
    const turns = fixture.store.current.turns.map((turn) => `${turn.role}:${turn.role === 'user' ? turn.content : ''}`);
    assert.deepEqual(turns, ['user:first', 'assistant:', 'user:second', 'assistant:', 'user:third', 'assistant:']);
    assert.equal(fixture.activity.begun, fixture.activity.ended);
  });
});
