import './.setup';
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { activate } from '../../../extension/extension';
import { COMMANDS, INTERNAL_COMMANDS, CHAT_VIEW_ID, VIEW_CONTAINER_ID } from '../../../extension/common/ids';
import { fake } from '../../fakes/vscode';
import { REPOSITORY_ROOT } from '../../fakes/vscode/context';
import { field } from '../../support/json';

interface ManifestCommand {
  command: string;
  title: string;
  category?: string;
}

const manifest: unknown = JSON.parse(readFileSync(path.join(REPOSITORY_ROOT, 'package.json'), 'utf8'));

function manifestCommands(): ManifestCommand[] {
  const commands = field(manifest, 'contributes', 'commands');
  assert.ok(Array.isArray(commands), 'contributes.commands is an array');
  return commands.map((entry: unknown) => {
    const command = field(entry, 'command');
    const title = field(entry, 'title');
    const category = field(entry, 'category');
    assert.equal(typeof command, 'string');
    assert.equal(typeof title, 'string');
    return { command: String(command), title: String(title), ...(typeof category === 'string' ? { category } : {}) };
  });
}

function paletteHidden(): Set<string> {
  const entries = field(manifest, 'contributes', 'menus', 'commandPalette');
  assert.ok(Array.isArray(entries));
  return new Set(entries.filter((entry: unknown) => field(entry, 'when') === 'false').map((entry: unknown) => String(field(entry, 'command'))));
}

describe('extension manifest and activation', () => {
  beforeEach(() => fake.reset());

  it('registers a handler for every contributed command, and contributes every command it registers', async () => {
    const context = fake.createExtensionContext();
    await activate(context);
    try {
      const contributed = manifestCommands().map((c) => c.command).sort();
      const registered = [...fake.commands.keys()].sort();
      assert.deepEqual(registered, contributed);
    } finally {
      context.dispose();
    }
    assert.equal(fake.commands.size, 0, 'deactivation unregisters every command');
  });

  it('contributes the fixed command titles, all in category AIDE', () => {
    const expected: Record<string, string> = {
      [COMMANDS.explainSelection]: 'Explain Selection',
      [COMMANDS.fixSelection]: 'Fix Selection',
      [COMMANDS.writeTests]: 'Write Tests',
      [COMMANDS.addDocs]: 'Add Docs',
      [COMMANDS.refactorSelection]: 'Refactor Selection',
      [COMMANDS.generateCommitMessage]: 'Generate Commit Message',
      [COMMANDS.newChat]: 'New Chat',
      [COMMANDS.stop]: 'Stop Generation',
      [COMMANDS.toggleCompletions]: 'Toggle Completions',
      [COMMANDS.selectModel]: 'Select Model',
      [COMMANDS.testConnection]: 'Test Connection',
      [COMMANDS.showLogs]: 'Show Logs',
      [COMMANDS.setRelayToken]: 'Set Relay Token',
      [COMMANDS.signOut]: 'Sign Out',
    };
    const byId = new Map(manifestCommands().map((c) => [c.command, c]));
    for (const [id, title] of Object.entries(expected)) {
      assert.equal(byId.get(id)?.title, title, id);
    }
    for (const command of manifestCommands()) assert.equal(command.category, 'AIDE', command.command);
  });

  it('hides exactly the internal commands from the command palette', () => {
    assert.deepEqual([...paletteHidden()].sort(), Object.values(INTERNAL_COMMANDS).sort());
  });

  it('gates the editor context menu actions on a selection', () => {
    const entries = field(manifest, 'contributes', 'menus', 'editor/context');
    assert.ok(Array.isArray(entries));
    const gated = entries.map((entry: unknown) => [String(field(entry, 'command')), String(field(entry, 'when'))]);
    assert.deepEqual(
      gated.map(([command]) => command).sort(),
      [COMMANDS.explainSelection, COMMANDS.fixSelection, COMMANDS.writeTests, COMMANDS.addDocs, COMMANDS.refactorSelection].sort(),
    );
    for (const [command, when] of gated) assert.match(when ?? '', /\beditorHasSelection\b/, command);
  });

  it('contributes the activity bar container and the chat webview view', () => {
    const containers = field(manifest, 'contributes', 'viewsContainers', 'activitybar');
    assert.deepEqual(containers, [{ id: VIEW_CONTAINER_ID, title: 'AIDE', icon: 'media/icon.svg' }]);
    const views = field(manifest, 'contributes', 'views', VIEW_CONTAINER_ID);
    assert.ok(Array.isArray(views));
    assert.equal(field(views[0], 'id'), CHAT_VIEW_ID);
    assert.equal(field(views[0], 'type'), 'webview');
    assert.equal(field(views[0], 'name'), 'Chat');
    assert.deepEqual(field(manifest, 'activationEvents'), ['onStartupFinished']);
  });

  it('ships a walkthrough whose every step has its markdown file', () => {
    const walkthroughs = field(manifest, 'contributes', 'walkthroughs');
    assert.ok(Array.isArray(walkthroughs));
    const walkthrough: unknown = walkthroughs.find((w: unknown) => field(w, 'id') === 'aide.gettingStarted');
    const steps = field(walkthrough, 'steps');
    assert.ok(Array.isArray(steps) && steps.length === 5, 'five steps from relay to first completion');
    for (const step of steps) {
      const markdown = field(step, 'media', 'markdown');
      assert.equal(typeof markdown, 'string');
      assert.ok(readFileSync(path.join(REPOSITORY_ROOT, String(markdown)), 'utf8').startsWith('# '), String(markdown));
    }
  });

  it('registers the chat view provider, the inline completion provider, the output channel and the status bar item', async () => {
    const context = fake.createExtensionContext();
    await activate(context);
    try {
      assert.ok(fake.webviewViewProviders.has(CHAT_VIEW_ID));
      assert.equal(fake.inlineProviders.length, 1);
      assert.deepEqual(
        fake.outputChannels.map((c) => c.name),
        ['AIDE'],
      );
      assert.equal(fake.statusBarItems.length, 1);
      assert.equal(fake.statusBarItems[0]?.text, '$(sparkle) AIDE');
      assert.equal(fake.statusBarItems[0]?.visible, true);
    } finally {
      context.dispose();
    }
  });
});
