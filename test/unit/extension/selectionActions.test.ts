import './.setup';
import { strict as assert } from 'node:assert';
import { FOCUS_CHAT_VIEW_COMMAND, PROPOSAL_CONTEXT_KEY, PROPOSAL_SCHEME } from '../../../extension/common/ids';
import { activate } from '../../../extension/extension';
import { CancellationTokenSource, Diagnostic, DiagnosticSeverity, fake, Range, Selection, TabInputTextDiff } from '../../fakes/vscode';
import type { FakeExtensionContext } from '../../fakes/vscode/context';
import { startScriptedOllama, waitFor, type ScriptedOllama } from './helpers';

const SOURCE = 'export function sum(a: number, b: number) {\n  return a - b;\n}\n\nexport const one = 1;\n';

describe('selection commands', () => {
  let ollama: ScriptedOllama;
  let context: FakeExtensionContext;

  beforeEach(async () => {
    ollama = await startScriptedOllama('Here you go:\n```ts\nexport function sum(a: number, b: number) {\n  return a + b;\n}\n```\n');
    fake.reset();
    fake.configuration.set('aide.relay.url', ollama.url);
    fake.configuration.set('aide.chat.model', 'llama3.2:1b');
    context = fake.createExtensionContext();
    await activate(context);
  });

  afterEach(async () => {
    context.dispose();
    await ollama.close();
  });

  function proposalTab(): TabInputTextDiff | undefined {
    const input = fake.tabs.map((tab) => tab.input).find((candidate) => candidate instanceof TabInputTextDiff);
    return input instanceof TabInputTextDiff ? input : undefined;
  }

  async function proposeFix(): Promise<{ document: ReturnType<typeof fake.openEditor>['document'] }> {
    // Selected from the middle of line 1 to the middle of line 3: the edit covers whole lines.
    const editor = fake.openEditor(SOURCE, { selection: new Selection(0, 7, 2, 1) });
    await fake.commands.get('aide.fixSelection')?.();
    await waitFor(() => proposalTab() !== undefined, 'the proposal diff');
    return { document: editor.document };
  }

  it('Fix shows the proposal as a diff against the file and changes nothing yet', async () => {
    const { document } = await proposeFix();
    const tab = proposalTab();
    assert.ok(tab);
    assert.equal(tab.original.toString(), document.uri.toString());
    assert.equal(tab.modified.scheme, PROPOSAL_SCHEME);
    const provider = fake.contentProviders.get(PROPOSAL_SCHEME);
    const proposed = await provider?.provideTextDocumentContent(tab.modified, new CancellationTokenSource().token);
    assert.equal(proposed, SOURCE.replace('a - b', 'a + b'), 'the whole file with the selected lines replaced');
    assert.equal(document.getText(), SOURCE, 'nothing is applied before the user chooses');
    assert.equal(fake.contextKeys.get(PROPOSAL_CONTEXT_KEY), true);
    const question = fake.ui.messages.find((m) => m.items.includes('Apply'));
    assert.deepEqual(question?.items, ['Apply', 'Discard']);
    const [chat] = ollama.chats;
    assert.match(JSON.stringify(chat), /lines 1–3/);
  });

  it('Apply replaces the selected lines when the document is unchanged, and closes the diff', async () => {
    const { document } = await proposeFix();
    await fake.commands.get('aide.proposal.apply')?.();
    assert.equal(document.getText(), SOURCE.replace('a - b', 'a + b'));
    assert.equal(proposalTab(), undefined);
    assert.equal(fake.contextKeys.get(PROPOSAL_CONTEXT_KEY), false);
  });

  it('Apply refuses when the document changed after the proposal was made', async () => {
    const { document } = await proposeFix();
    document.replace(SOURCE.length, SOURCE.length, '// edited meanwhile\n');
    await fake.commands.get('aide.proposal.apply')?.();
    assert.equal(document.getText(), `${SOURCE}// edited meanwhile\n`, 'the stale proposal is not written');
    assert.ok(fake.ui.messages.some((m) => m.severity === 'warning' && /changed after the proposal/.test(m.message)));
    assert.equal(proposalTab(), undefined);
  });

  it('choosing Apply in the notification applies it', async () => {
    fake.ui.respondToMessage = (message) => (message.items.includes('Apply') ? 'Apply' : undefined);
    const editor = fake.openEditor(SOURCE, { selection: new Selection(0, 0, 3, 0) });
    await fake.commands.get('aide.fixSelection')?.();
    await waitFor(() => editor.document.getText() !== SOURCE, 'the edit');
    assert.equal(editor.document.getText(), SOURCE.replace('a - b', 'a + b'));
  });

  it('Discard closes the diff and leaves the file alone', async () => {
    const { document } = await proposeFix();
    await fake.commands.get('aide.proposal.discard')?.();
    assert.equal(proposalTab(), undefined);
    assert.equal(document.getText(), SOURCE);
  });

  it('reports an answer without a code block and proposes nothing', async () => {
    ollama.answer = 'The code looks fine to me.';
    fake.openEditor(SOURCE, { selection: new Selection(0, 0, 2, 1) });
    await fake.commands.get('aide.refactorSelection')?.();
    assert.equal(proposalTab(), undefined);
    assert.ok(fake.ui.messages.some((m) => m.severity === 'error' && /did not answer with a code block/.test(m.message)));
  });

  it('refuses an edit whose selection would not fit the model window, in words, without asking the model', async () => {
    fake.configuration.set('aide.contextLength', 512);
    const big = `${'export const value = 1; // padding\n'.repeat(40)}`;
    fake.openEditor(big, { selection: new Selection(0, 0, 40, 0) });
    await fake.commands.get('aide.refactorSelection')?.();
    await waitFor(() => fake.ui.messages.some((m) => m.severity === 'error'), 'the refusal');
    assert.ok(
      fake.ui.messages.some((m) => m.message === "AIDE: The selection is too large for the model's context (512 tokens); select less or raise aide.contextLength"),
      JSON.stringify(fake.ui.messages),
    );
    assert.equal(ollama.chats.length, 0);
    assert.equal(proposalTab(), undefined);
  });

  it('asks for a selection first', async () => {
    fake.openEditor(SOURCE, { selection: new Selection(1, 2, 1, 2) });
    await fake.commands.get('aide.addDocs')?.();
    assert.equal(ollama.chats.length, 0);
    assert.ok(fake.ui.messages.some((m) => /select some code first/.test(m.message)));
  });

  it('sends the editor\'s problems in the selection with Fix', async () => {
    const editor = fake.openEditor(SOURCE, { selection: new Selection(0, 0, 2, 1) });
    fake.diagnostics.set(editor.document.uri.toString(), [
      new Diagnostic(new Range(1, 9, 1, 14), "Operator '-' looks wrong", DiagnosticSeverity.Warning),
      new Diagnostic(new Range(4, 0, 4, 5), 'outside the selection', DiagnosticSeverity.Error),
    ]);
    await fake.commands.get('aide.fixSelection')?.();
    const body = JSON.stringify(ollama.chats[0]);
    assert.match(body, /line 2: Operator '-' looks wrong/);
    assert.doesNotMatch(body, /outside the selection/);
  });

  it('Explain reveals the chat view and asks there under the label "Explain selection"', async () => {
    fake.openEditor(SOURCE, { selection: new Selection(0, 0, 2, 1) });
    const view = await fake.resolveWebviewView('aide.chatView');
    view.receive({ type: 'ready' });
    await fake.commands.get('aide.explainSelection')?.();
    assert.ok(fake.executed.some((e) => e.command === FOCUS_CHAT_VIEW_COMMAND));
    await waitFor(() => view.posted.some((m) => typeof m === 'object' && m !== null && 'type' in m && m.type === 'chat/done'), 'the answer');
    const start = view.posted.find((m) => typeof m === 'object' && m !== null && 'type' in m && m.type === 'chat/start');
    assert.ok(typeof start === 'object' && start !== null && 'prompt' in start);
    assert.deepEqual(start.prompt, { role: 'user', content: 'Explain selection: file1.ts lines 1–3', label: 'Explain selection' });
    assert.match(JSON.stringify(ollama.chats[0]), /Explain what this code does/);
  });

  it('Stop Generation cancels a running Fix: the request is aborted and nothing is proposed', async () => {
    ollama.chunkDelayMs = 20;
    fake.openEditor(SOURCE, { selection: new Selection(0, 0, 2, 1) });
    const pending = fake.commands.get('aide.fixSelection')?.();
    await waitFor(() => ollama.chats.length === 1, 'the Fix request');
    await fake.commands.get('aide.stop')?.();
    await pending;
    await waitFor(() => ollama.abortedChats === 1, 'the request to be aborted');
    assert.equal(proposalTab(), undefined);
    assert.ok(!fake.ui.messages.some((m) => m.severity === 'error'), 'a stop is not an error');
  });
});
