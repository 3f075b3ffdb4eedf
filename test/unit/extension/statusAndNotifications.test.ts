import './.setup';
import { strict as assert } from 'node:assert';
import { presentStatus } from '../../../extension/common/statusModel';
import { ErrorNotifier } from '../../../extension/services/notifier';
import { StatusBar } from '../../../extension/status/statusBar';
import { fake } from '../../fakes/vscode';
import { FakeLogOutputChannel } from '../../fakes/vscode/ui';

describe('status bar', () => {
  beforeEach(() => fake.reset());

  it('shows the fixed texts for idle, generating, paused and error', () => {
    assert.equal(presentStatus({ active: 0, completionsPaused: false }).text, '$(sparkle) AIDE');
    assert.equal(presentStatus({ active: 1, completionsPaused: true, error: 'x' }).text, '$(loading~spin) AIDE');
    assert.equal(presentStatus({ active: 0, completionsPaused: true }).text, '$(circle-slash) AIDE');
    assert.equal(presentStatus({ active: 0, completionsPaused: true, error: 'Relay unreachable' }).text, '$(warning) AIDE');
    assert.equal(presentStatus({ active: 0, completionsPaused: false, lastLatencyMs: 119.6 }).text, '$(sparkle) AIDE 120ms');
    assert.match(presentStatus({ active: 0, completionsPaused: false, error: 'Relay unreachable' }).tooltip, /Relay unreachable/);
  });

  it('spins while any generation runs and returns to idle with the last latency', () => {
    const status = new StatusBar();
    const item = fake.statusBarItems[0];
    try {
      const endChat = status.begin();
      const endCompletion = status.begin();
      assert.equal(item?.text, '$(loading~spin) AIDE');
      endChat();
      endChat();
      assert.equal(item?.text, '$(loading~spin) AIDE', 'ending twice does not end another generation');
      status.completionSucceeded(87);
      endCompletion();
      assert.equal(item?.text, '$(sparkle) AIDE 87ms');
    } finally {
      status.dispose();
    }
    assert.equal(item?.disposed, true);
  });

  it('shows an error until the next success', () => {
    const status = new StatusBar();
    const item = fake.statusBarItems[0];
    try {
      status.failed('Relay is up but Ollama is down (503)');
      assert.equal(item?.text, '$(warning) AIDE');
      assert.equal(item?.backgroundColor?.id, 'statusBarItem.warningBackground');
      status.succeeded();
      assert.equal(item?.text, '$(sparkle) AIDE');
      assert.equal(item?.backgroundColor, undefined);
    } finally {
      status.dispose();
    }
  });
});

describe('error notifications', () => {
  beforeEach(() => fake.reset());

  it('pops up once per kind with Show Logs, logs every time, and again only after a success', async () => {
    const log = new FakeLogOutputChannel('AIDE');
    const notifier = new ErrorNotifier(log);
    for (let i = 0; i < 5; i += 1) notifier.error('completion', 'Relay unreachable at http://127.0.0.1:11435 (ECONNREFUSED)');
    notifier.error('models', 'Could not list models');
    assert.deepEqual(
      fake.ui.messages.map((m) => [m.severity, m.message, m.items]),
      [
        ['error', 'AIDE: Relay unreachable at http://127.0.0.1:11435 (ECONNREFUSED)', ['Show Logs']],
        ['error', 'AIDE: Could not list models', ['Show Logs']],
      ],
    );
    assert.equal(log.lines.filter((l) => l.startsWith('[error] [completion]')).length, 5);
    notifier.clear('completion');
    notifier.error('completion', 'Relay unreachable again');
    assert.equal(fake.ui.messages.length, 3);
  });

  it('Show Logs in the notification opens the output channel', async () => {
    const log = new FakeLogOutputChannel('AIDE');
    fake.commands.set('aide.showLogs', () => log.show());
    fake.ui.respondToMessage = () => 'Show Logs';
    new ErrorNotifier(log).error('chat', 'boom');
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(log.shown, 1);
  });
});
