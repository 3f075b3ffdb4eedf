import './.setup';
import { strict as assert } from 'node:assert';
import { CompletionEngine, type CompletionRequest, type CompletionResult } from '../../../extension/common/completion/engine';
import { AideInlineCompletionProvider } from '../../../extension/completion/inlineProvider';
import { engineSettings } from '../../../extension/completion/registerCompletions';
import { CancellationTokenSource, fake, InlineCompletionTriggerKind, Position, Selection } from '../../fakes/vscode';
import { startScriptedOllama } from '../completion/scriptedOllama';
import { settingsWith } from './helpers';

const automatic = { triggerKind: InlineCompletionTriggerKind.Automatic, selectedCompletionInfo: undefined };

/** `lines` lines of padding (about 50 characters each), then a function whose body the user types into. */
function documentText(lines: number, typed: string): string {
  const filler = Array.from({ length: lines }, (_, i) => `const value${i} = ${i}; // some padding text here`).join('\n');
  return `${filler}\nfunction sum(a, b) {\n  ${typed}\n}\n`;
}

describe('inline completions in a large file', () => {
  beforeEach(() => fake.reset());

  it('the text before the cursor only grows while the user types on, and starts at a line start', async () => {
    const requests: CompletionRequest[] = [];
    const engine = {
      complete: async (request: CompletionRequest): Promise<CompletionResult | undefined> => {
        requests.push(request);
        return undefined;
      },
    };
    const settings = settingsWith({});
    const provider = new AideInlineCompletionProvider({ engine, settings: () => settings.completion });
    const lines = 1200;
    const minChars = settings.completion.prefixTokens * 16;
    for (const typed of ['', 'r', 're', 'ret']) {
      fake.reset();
      const editor = fake.openEditor(documentText(lines, typed), { languageId: 'typescript', selection: new Selection(lines + 1, 2 + typed.length, lines + 1, 2 + typed.length) });
      await provider.provideInlineCompletionItems(editor.document, new Position(lines + 1, 2 + typed.length), automatic, new CancellationTokenSource().token);
    }
    assert.equal(requests.length, 4);
    const [first] = requests;
    assert.ok(first && first.prefix.length <= minChars + 4096, 'a 60 KB document is not copied whole: the window plus at most one block');
    assert.ok(first.prefix.length >= minChars - 60, 'at least the configured window (less part of a line)');
    assert.match(first.prefix, /^const value\d+ = /, 'the prefix starts at a line start');
    for (const [index, request] of requests.entries()) {
      assert.equal(request.prefix, `${first.prefix}${'ret'.slice(0, index)}`, `request ${index} extends the first prefix`);
    }
  });

  it('typing the first character of a suggestion far down a file reuses it without a new request', async () => {
    const server = await startScriptedOllama([{ name: 'coder:1b', family: 'qwen2', capabilities: ['completion', 'insert'], contextLength: 32768 }]);
    server.script = () => ({ chunks: ['return a + b;'] });
    const settings = settingsWith({ 'completion.model': 'coder:1b', 'completion.debounceMs': 0 });
    const engine = new CompletionEngine({ endpoint: () => ({ url: server.url }), settings: () => engineSettings(settings) });
    const provider = new AideInlineCompletionProvider({ engine, settings: () => settings.completion });
    const lines = 600;
    try {
      let editor = fake.openEditor(documentText(lines, ''), { languageId: 'typescript', selection: new Selection(lines + 1, 2, lines + 1, 2) });
      const first = await provider.provideInlineCompletionItems(editor.document, new Position(lines + 1, 2), automatic, new CancellationTokenSource().token);
      assert.equal(first?.[0]?.insertText, 'return a + b;');

      fake.reset();
      editor = fake.openEditor(documentText(lines, 'r'), { languageId: 'typescript', selection: new Selection(lines + 1, 3, lines + 1, 3) });
      const second = await provider.provideInlineCompletionItems(editor.document, new Position(lines + 1, 3), automatic, new CancellationTokenSource().token);
      assert.equal(second?.[0]?.insertText, 'eturn a + b;');
      assert.equal(server.requests.filter((r) => r.path === '/api/generate').length, 1, 'no second generation');
    } finally {
      engine.dispose();
      await server.close();
    }
  });
});
