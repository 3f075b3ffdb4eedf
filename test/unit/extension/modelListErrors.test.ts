import './.setup';
import { strict as assert } from 'node:assert';
import { ErrorNotifier } from '../../../extension/services/notifier';
import { fake } from '../../fakes/vscode';
import { FakeLogOutputChannel } from '../../fakes/vscode/ui';
import { closedPort } from '../../support/net';
import { createControllerFixture, startScriptedOllama } from './helpers';

describe('chat controller: model list failures', () => {
  beforeEach(() => fake.reset());

  it('a refresh the user asked for shows its failure every time; a success re-arms the background notice', async () => {
    const ollama = await startScriptedOllama('answer');
    try {
      const notifier = new ErrorNotifier(new FakeLogOutputChannel('AIDE'));
      const cleared: string[] = [];
      const fixture = createControllerFixture(`http://127.0.0.1:${await closedPort()}`, {
        deps: {
          notifyError: (key, message) => notifier.error(key, message),
          clearError: (key) => {
            cleared.push(key);
            notifier.clear(key);
          },
        },
      });
      const failures = (): string[] => fake.ui.messages.filter((m) => m.severity === 'error').map((m) => m.message);

      await fixture.controller.handle({ type: 'models/refresh' });
      await fixture.controller.handle({ type: 'models/refresh' });
      assert.equal(failures().length, 2, 'each refresh the user asked for says why it failed');
      assert.match(failures()[0] ?? '', /^AIDE: Could not list models: Relay unreachable at http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\)$/);

      fixture.endpoint.url = ollama.url;
      cleared.length = 0;
      await fixture.controller.handle({ type: 'models/refresh' });
      assert.deepEqual(cleared, ['models'], 'a successful refresh clears the notice');
      assert.equal(failures().length, 2);
    } finally {
      await ollama.close();
    }
  });
});
