import './.setup';
import { strict as assert } from 'node:assert';
import { createCodeActions } from '../../../extension/chat/codeActions';
import type { ContextInfo } from '../../../extension/common/protocol';
import { EditorContext } from '../../../extension/editor/editorContext';
import { fake, Selection } from '../../fakes/vscode';
import { waitFor } from './helpers';

describe('editor context and code actions', () => {
  let editors: EditorContext;

  beforeEach(() => {
    fake.reset();
    editors = new EditorContext();
  });

  afterEach(() => editors.dispose());

  it('describes the file and the selection for the chips, with 1-based lines', () => {
    const editor = fake.openEditor('a\nb\nc\nd\n', { path: '/workspace/src/app.ts', selection: new Selection(1, 0, 3, 0) });
    assert.deepEqual(editors.info(), {
      file: { name: 'app.ts', languageId: 'typescript' },
      selection: { file: 'app.ts', startLine: 2, endLine: 3 },
    });
    editor.selection = new Selection(2, 1, 2, 1);
    assert.deepEqual(editors.info(), { file: { name: 'app.ts', languageId: 'typescript' } });
  });

  it('sends one debounced change for a burst of selection changes', async () => {
    const seen: ContextInfo[] = [];
    editors.onDidChange((info) => seen.push(info));
    const editor = fake.openEditor('one\ntwo\n');
    for (let i = 0; i < 5; i += 1) editor.selection = new Selection(0, 0, 0, i);
    await waitFor(() => seen.length > 0, 'the context change');
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(seen.length, 1);
    assert.deepEqual(seen[0]?.selection, { file: 'file1.ts', startLine: 1, endLine: 1 });
  });

  it('keeps the last text editor while the chat view has focus, and forgets a closed one', () => {
    const editor = fake.openEditor('x');
    fake.setActiveEditor(undefined);
    assert.equal(editors.editor, editor, 'focus in the chat view leaves the last editor in place');
    fake.visibleTextEditors = [];
    fake.visibleEditorChanges.fire([]);
    assert.equal(editors.editor, undefined);
  });

  it('copies to the clipboard, inserts at the cursor and applies over the selection of the last editor', async () => {
    const actions = createCodeActions(editors);
    const editor = fake.openEditor('let a = 1;\nlet b = 2;\n', { selection: new Selection(1, 4, 1, 5) });
    fake.setActiveEditor(undefined);

    await actions.copy('copied');
    assert.equal(fake.clipboard, 'copied');

    await actions.insert('/* here */');
    assert.equal(editor.document.getText(), 'let a = 1;\nlet b/* here */ = 2;\n', 'insert goes to the cursor (the active end), replacing nothing');

    editor.selection = new Selection(0, 4, 0, 5);
    await actions.apply('alpha');
    assert.equal(editor.document.getText(), 'let alpha = 1;\nlet b/* here */ = 2;\n', 'apply replaces the selection');
  });

  it('tells the user when there is no editor to insert into', async () => {
    await createCodeActions(editors).insert('x');
    assert.ok(fake.ui.messages.some((m) => m.severity === 'warning' && /open a file/.test(m.message)));
  });
});
