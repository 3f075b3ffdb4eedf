import './.setup';
import { strict as assert } from 'node:assert';
import { closedPort } from '../../support/net';
import { createControllerFixture, startScriptedOllama } from './helpers';

describe('chat controller: retry after the view reloaded', () => {
  it('a command turn that failed before the model was known is retried with its code, not its label', async () => {
    const ollama = await startScriptedOllama('answer');
    try {
      // No aide.chat.model: the model is picked from /api/tags, which fails while the relay is down.
      const fixture = createControllerFixture(`http://127.0.0.1:${await closedPort()}`);
      await fixture.controller.ask(
        { label: 'Explain selection', display: 'Explain selection: a.ts lines 1–2', build: () => 'SELECTED CODE: function secretSauce() {}' },
        'A',
      );
      assert.equal(fixture.terminals('A')[0]?.type, 'chat/error');
      const stored = fixture.store.current.turns[0];
      assert.equal(stored?.modelContent, 'SELECTED CODE: function secretSauce() {}', 'the failed turn keeps what the model was to see');
      const started = fixture.forRequest('A').find((m) => m.type === 'chat/start');
      assert.ok(started?.type === 'chat/start');
      assert.equal('modelContent' in started.prompt, false, 'the view still gets only the label');

      fixture.endpoint.url = ollama.url; // the relay is back
      // The view was hidden and shown again: it retries the failed exchange under a fresh request id.
      await fixture.controller.handle({ type: 'chat/retry', requestId: 'fresh-id-after-reload' });
      assert.equal(ollama.chats.length, 1);
      const body = ollama.chats[0];
      assert.ok(typeof body === 'object' && body !== null && 'messages' in body && Array.isArray(body.messages));
      const last: unknown = body.messages[body.messages.length - 1];
      assert.deepEqual(last, { role: 'user', content: 'SELECTED CODE: function secretSauce() {}' });
    } finally {
      await ollama.close();
    }
  });
});
