import './.setup';
import { strict as assert } from 'node:assert';
import type { CompletionRequest, CompletionResult } from '../../../extension/common/completion/engine';
import { INTERNAL_COMMANDS } from '../../../extension/common/ids';
import { AideInlineCompletionProvider } from '../../../extension/completion/inlineProvider';
import { activate } from '../../../extension/extension';
import { CancellationTokenSource, fake, InlineCompletionItem, InlineCompletionTriggerKind, Position, Selection } from '../../fakes/vscode';
import { startFakeOllama } from '../../fakes/fakeOllama';
import { settingsWith, waitFor } from './helpers';

const automatic = { triggerKind: InlineCompletionTriggerKind.Automatic, selectedCompletionInfo: undefined };

class RecordingEngine {
  readonly requests: CompletionRequest[] = [];
  answer: CompletionResult | undefined = { text: 'return a + b;', model: 'qwen2.5-coder:1.5b', latencyMs: 42, source: 'network' };
  /** When set, `complete` waits for this before answering (to cancel in between). */
  gate: Promise<void> | undefined;

  async complete(request: CompletionRequest): Promise<CompletionResult | undefined> {
    this.requests.push(request);
    await this.gate;
    return request.signal.aborted ? undefined : this.answer;
  }
}

function providerWith(values: Record<string, unknown> = {}): { provider: AideInlineCompletionProvider; engine: RecordingEngine; results: CompletionResult[] } {
  const engine = new RecordingEngine();
  const results: CompletionResult[] = [];
  const settings = settingsWith(values);
  const provider = new AideInlineCompletionProvider({ engine, settings: () => settings.completion, onResult: (r) => results.push(r) });
  return { provider, engine, results };
}

describe('inline completion provider', () => {
  beforeEach(() => fake.reset());

  it('asks the engine with the text before and after the cursor and returns one item at the cursor', async () => {
    const { provider, engine, results } = providerWith();
    const editor = fake.openEditor('function sum(a, b) {\n  \n}\n', { languageId: 'typescript', selection: new Selection(1, 2, 1, 2) });
    const source = new CancellationTokenSource();
    const items = await provider.provideInlineCompletionItems(editor.document, new Position(1, 2), automatic, source.token);

    assert.equal(engine.requests.length, 1);
    const [request] = engine.requests;
    assert.equal(request?.prefix, 'function sum(a, b) {\n  ');
    assert.equal(request?.suffix, '\n}\n');
    assert.equal(request?.languageId, 'typescript');
    assert.equal(request?.documentKey, editor.document.uri.toString());
    assert.ok(Array.isArray(items) && items.length === 1);
    const [item] = items;
    assert.ok(item instanceof InlineCompletionItem);
    assert.equal(item.insertText, 'return a + b;');
    assert.ok(item.range?.start.isEqual(new Position(1, 2)) && item.range.isEmpty);
    assert.equal(item.command?.command, INTERNAL_COMMANDS.completionAccepted);
    assert.deepEqual(results.map((r) => r.latencyMs), [42]);
  });

  it('skips when completions are paused', async () => {
    const { provider, engine } = providerWith({ 'completion.enabled': false });
    const editor = fake.openEditor('x = ', { languageId: 'python' });
    const items = await provider.provideInlineCompletionItems(editor.document, new Position(0, 4), automatic, new CancellationTokenSource().token);
    assert.equal(items, undefined);
    assert.equal(engine.requests.length, 0);
  });

  it('skips languages turned off, including the markdown and plaintext defaults', async () => {
    const { provider, engine } = providerWith({ 'completion.languages': { '*': true, markdown: false, plaintext: false, go: false } });
    for (const languageId of ['markdown', 'plaintext', 'go']) {
      const editor = fake.openEditor('text', { languageId });
      assert.equal(await provider.provideInlineCompletionItems(editor.document, new Position(0, 4), automatic, new CancellationTokenSource().token), undefined);
    }
    assert.equal(engine.requests.length, 0);
    const rust = fake.openEditor('fn main() {', { languageId: 'rust' });
    await provider.provideInlineCompletionItems(rust.document, new Position(0, 11), automatic, new CancellationTokenSource().token);
    assert.equal(engine.requests.length, 1, '"*" keeps every other language on');
  });

  it('skips while text is selected in the editor', async () => {
    const { provider, engine } = providerWith();
    const editor = fake.openEditor('let value = 1;', { selection: new Selection(0, 4, 0, 9) });
    const items = await provider.provideInlineCompletionItems(editor.document, new Position(0, 9), automatic, new CancellationTokenSource().token);
    assert.equal(items, undefined);
    assert.equal(engine.requests.length, 0);
  });

  it('bridges the cancellation token to the engine signal and releases its listener afterwards', async () => {
    const { provider, engine } = providerWith();
    let open = (): void => undefined;
    engine.gate = new Promise((resolve) => (open = resolve));
    const editor = fake.openEditor('abc');
    const source = new CancellationTokenSource();
    const pending = provider.provideInlineCompletionItems(editor.document, new Position(0, 3), automatic, source.token);
    await waitFor(() => engine.requests.length === 1, 'the engine call');
    const signal = engine.requests[0]?.signal;
    assert.equal(signal?.aborted, false);
    source.cancel();
    assert.equal(signal?.aborted, true);
    open();
    assert.equal(await pending, undefined);
    assert.equal(source.listenerCount, 0);
  });

  it('passes an already-aborted signal for an already-cancelled request and shows nothing', async () => {
    const { provider, engine } = providerWith();
    const editor = fake.openEditor('abc');
    const source = new CancellationTokenSource();
    source.cancel();
    const items = await provider.provideInlineCompletionItems(editor.document, new Position(0, 3), automatic, source.token);
    assert.equal(items, undefined);
    assert.equal(engine.requests[0]?.signal.aborted, true);
  });

  it('returns nothing when the engine has nothing', async () => {
    const { provider, engine, results } = providerWith();
    engine.answer = undefined;
    const editor = fake.openEditor('abc');
    assert.equal(await provider.provideInlineCompletionItems(editor.document, new Position(0, 3), automatic, new CancellationTokenSource().token), undefined);
    assert.deepEqual(results, []);
  });
});

describe('inline completions wired by activate()', () => {
  it('completes through the relay, shows the latency in the status bar, and Toggle Completions pauses', async () => {
    const ollama = await startFakeOllama();
    fake.reset();
    fake.configuration.set('aide.relay.url', ollama.url);
    fake.configuration.set('aide.completion.model', 'qwen2.5-coder:1.5b');
    fake.configuration.set('aide.completion.debounceMs', 0);
    const context = fake.createExtensionContext();
    try {
      await activate(context);
      const [provider] = fake.inlineProviders;
      assert.ok(provider);
      const editor = fake.openEditor('def add(a, b):\n    ', { languageId: 'python', selection: new Selection(1, 4, 1, 4) });
      const items = await provider.provideInlineCompletionItems(editor.document, new Position(1, 4), automatic, new CancellationTokenSource().token);
      assert.ok(Array.isArray(items) && items.length === 1, 'one ghost-text item');
      const generate = ollama.requestsTo('/api/generate')[0]?.body;
      assert.ok(typeof generate === 'object' && generate !== null && 'model' in generate && generate.model === 'qwen2.5-coder:1.5b');
      const status = fake.statusBarItems[0];
      assert.match(status?.text ?? '', /^\$\(sparkle\) AIDE \d+ms$/);

      await fake.commands.get('aide.toggleCompletions')?.();
      assert.equal(fake.configuration.value('aide.completion.enabled'), false);
      assert.equal(status?.text, '$(circle-slash) AIDE');
      const before = ollama.requestsTo('/api/generate').length;
      assert.equal(await provider.provideInlineCompletionItems(editor.document, new Position(1, 4), automatic, new CancellationTokenSource().token), undefined);
      assert.equal(ollama.requestsTo('/api/generate').length, before, 'paused: nothing is sent');

      await fake.commands.get('aide.toggleCompletions')?.();
      assert.match(status?.text ?? '', /^\$\(sparkle\) AIDE/);
    } finally {
      context.dispose();
      await ollama.close();
    }
  });
});
