// Extension-host checks in desktop VS Code: activation, the command and settings contract from the
// shared UI names, and the chat view. Runs through test/electron/run.mjs (`npm run test:electron`).
const assert = require('node:assert/strict');
const vscode = require('vscode');

const EXTENSION_ID = 'aide-ollama.aide-ollama';
const COMMANDS = [
  'aide.explainSelection',
  'aide.fixSelection',
  'aide.writeTests',
  'aide.addDocs',
  'aide.refactorSelection',
  'aide.generateCommitMessage',
  'aide.newChat',
  'aide.stop',
  'aide.toggleCompletions',
  'aide.selectModel',
  'aide.testConnection',
  'aide.showLogs',
  'aide.setRelayToken',
  'aide.signOut',
];
const DEFAULTS = {
  'relay.url': 'http://127.0.0.1:11435',
  'chat.model': '',
  'completion.model': '',
  'completion.enabled': true,
  'completion.debounceMs': 200,
  'completion.maxTokens': 128,
  'completion.maxLines': 8,
  'completion.prefixTokens': 1024,
  'completion.suffixTokens': 256,
  'completion.template': 'auto',
  contextLength: 8192,
};

describe('AIDE for Ollama in desktop VS Code', () => {
  before(async () => {
    const extension = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(extension, `${EXTENSION_ID} is loaded from the development path`);
    await extension.activate();
    assert.equal(extension.isActive, true);
  });

  it('registers every AIDE command', async () => {
    const registered = new Set(await vscode.commands.getCommands(true));
    const missing = COMMANDS.filter((id) => !registered.has(id));
    assert.deepEqual(missing, []);
  });

  it('contributes the aide.* settings with their documented defaults', () => {
    const config = vscode.workspace.getConfiguration('aide');
    for (const [key, expected] of Object.entries(DEFAULTS)) {
      assert.deepEqual(config.inspect(key)?.defaultValue, expected, `default of aide.${key}`);
    }
    // The workspace settings written by run.mjs reach the extension.
    assert.equal(config.get('completion.debounceMs'), 50);
  });

  it('opens the chat view from its view container', async () => {
    await vscode.commands.executeCommand('aide.chatView.focus');
  });
});
