import './.setup';
import { strict as assert } from 'node:assert';
import { activate } from '../../../extension/extension';
import { fake, Uri } from '../../fakes/vscode';
import type { FakeExtensionContext } from '../../fakes/vscode/context';
import { startScriptedOllama, type ScriptedOllama } from './helpers';

interface FakeRepository {
  rootUri: Uri;
  inputBox: { value: string };
  diffCalls: Array<boolean | undefined>;
  diff(cached?: boolean): Promise<string>;
}

function repository(root: string, staged: string): FakeRepository {
  const repo: FakeRepository = {
    rootUri: Uri.file(root),
    inputBox: { value: '' },
    diffCalls: [],
    diff(cached) {
      repo.diffCalls.push(cached);
      return Promise.resolve(cached ? staged : 'diff --git a/unstaged b/unstaged\n');
    },
  };
  return repo;
}

function installGit(repositories: FakeRepository[]): void {
  const api = { repositories };
  fake.extensions.set('vscode.git', {
    id: 'vscode.git',
    extensionUri: Uri.file('/git'),
    extensionPath: '/git',
    isActive: true,
    packageJSON: {},
    extensionKind: 2,
    exports: { getAPI: (version: number) => (version === 1 ? api : undefined) },
    activate: () => Promise.resolve(undefined),
  });
}

const STAGED = 'diff --git a/src/sum.ts b/src/sum.ts\n-  return a - b;\n+  return a + b;\n';

describe('Generate Commit Message', () => {
  let ollama: ScriptedOllama;
  let context: FakeExtensionContext;

  beforeEach(async () => {
    ollama = await startScriptedOllama('```\nFix sum to add its operands\n\nIt subtracted b from a.\n```');
    fake.reset();
    fake.configuration.set('aide.relay.url', ollama.url);
    context = fake.createExtensionContext();
    await activate(context);
  });

  afterEach(async () => {
    context.dispose();
    await ollama.close();
  });

  it('writes a message for the staged diff into the Source Control input box', async () => {
    const repo = repository('/workspace', STAGED);
    installGit([repo]);
    await fake.commands.get('aide.generateCommitMessage')?.();
    assert.deepEqual(repo.diffCalls, [true], 'only the staged diff is read');
    assert.equal(repo.inputBox.value, 'Fix sum to add its operands\n\nIt subtracted b from a.');
    assert.ok(JSON.stringify(ollama.chats[0]).includes('return a + b;'));
  });

  it('says clearly when nothing is staged, without asking the model', async () => {
    installGit([repository('/workspace', '')]);
    await fake.commands.get('aide.generateCommitMessage')?.();
    assert.equal(ollama.chats.length, 0);
    assert.ok(fake.ui.messages.some((m) => m.severity === 'error' && /nothing is staged/.test(m.message)));
  });

  it('says clearly when there is no repository or no Git extension', async () => {
    installGit([]);
    await fake.commands.get('aide.generateCommitMessage')?.();
    assert.ok(fake.ui.messages.some((m) => m.severity === 'error' && /no Git repository is open/.test(m.message)));
    fake.extensions.clear();
    await fake.commands.get('aide.generateCommitMessage')?.();
    assert.ok(fake.ui.messages.some((m) => m.severity === 'error' && /Git extension is not available/.test(m.message)));
    assert.equal(ollama.chats.length, 0);
  });

  it('uses the repository of the active file when there are several', async () => {
    const first = repository('/workspace/a', '');
    const second = repository('/workspace/b', STAGED);
    installGit([first, second]);
    fake.openEditor('x', { path: '/workspace/b/src/x.ts' });
    await fake.commands.get('aide.generateCommitMessage')?.();
    assert.deepEqual(first.diffCalls, []);
    assert.equal(second.inputBox.value.split('\n')[0], 'Fix sum to add its operands');
  });

  it('uses the repository whose Source Control title bar was clicked', async () => {
    const first = repository('/workspace/a', STAGED);
    const second = repository('/workspace/b', STAGED);
    installGit([first, second]);
    await fake.commands.get('aide.generateCommitMessage')?.({ rootUri: Uri.file('/workspace/a') });
    assert.notEqual(first.inputBox.value, '');
    assert.equal(second.inputBox.value, '');
  });

  it('cuts a staged diff to the model window, says so in the prompt, and warns when the message itself was cut', async () => {
    fake.configuration.set('aide.contextLength', 1024);
    const huge = `diff --git a/big b/big\n${'+a line of the change\n'.repeat(2000)}`;
    const repo = repository('/workspace', huge);
    installGit([repo]);
    ollama.doneReason = 'length';
    await fake.commands.get('aide.generateCommitMessage')?.();
    const sent = JSON.stringify(ollama.chats[0]);
    assert.ok(sent.length < huge.length / 4, 'the diff was cut to about 60% of a 1024-token window');
    assert.match(sent, /truncated to fit the context window: only its first 2457 of \d+ characters are shown/);
    assert.equal(repo.inputBox.value.split('\n')[0], 'Fix sum to add its operands');
    assert.ok(fake.ui.messages.some((m) => m.severity === 'warning' && /cut off at the token limit/.test(m.message)));
  });
});
