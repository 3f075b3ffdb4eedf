import './.setup';
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { GENERATING_CONTEXT_KEY } from '../../../extension/common/ids';
import { activate } from '../../../extension/extension';
import { Generations } from '../../../extension/services/generations';
import { fake, Selection } from '../../fakes/vscode';
import { REPOSITORY_ROOT } from '../../fakes/vscode/context';
import { startScriptedOllama, waitFor } from './helpers';

const SOURCE = 'export function sum(a: number, b: number) {\n  return a - b;\n}\n';

describe('the Stop button follows running generations', () => {
  beforeEach(() => fake.reset());

  it('reports only the first start and the last end, once per generation', () => {
    const changes: boolean[] = [];
    const generations = new Generations((busy) => changes.push(busy));
    const endChat = generations.begin();
    const command = generations.track(new AbortController());
    assert.equal(generations.isBusy, true);
    endChat();
    endChat();
    assert.equal(generations.isBusy, true, 'ending twice counts once');
    assert.equal(generations.stopAll(), 1);
    command.dispose();
    assert.equal(generations.isBusy, false);
    assert.deepEqual(changes, [true, false]);
  });

  it('contributes Stop to the chat view title only while aide.generating is set', () => {
    const manifest: unknown = JSON.parse(readFileSync(path.join(REPOSITORY_ROOT, 'package.json'), 'utf8'));
    const menus = typeof manifest === 'object' && manifest !== null ? Reflect.get(manifest, 'contributes') : undefined;
    const viewTitle: unknown = typeof menus === 'object' && menus !== null ? Reflect.get(Reflect.get(menus, 'menus'), 'view/title') : undefined;
    assert.ok(Array.isArray(viewTitle));
    const stop: unknown = viewTitle.find((entry: unknown) => typeof entry === 'object' && entry !== null && Reflect.get(entry, 'command') === 'aide.stop');
    assert.ok(typeof stop === 'object' && stop !== null);
    assert.equal(Reflect.get(stop, 'when'), `view == aide.chatView && ${GENERATING_CONTEXT_KEY}`);
  });

  it('is set while a chat answer streams and cleared when Stop ends it', async () => {
    const ollama = await startScriptedOllama('x'.repeat(2000));
    ollama.chunkDelayMs = 10;
    fake.configuration.set('aide.relay.url', ollama.url);
    fake.configuration.set('aide.chat.model', 'llama3.2:1b');
    const context = fake.createExtensionContext();
    try {
      await activate(context);
      assert.notEqual(fake.contextKeys.get(GENERATING_CONTEXT_KEY), true, 'idle: no Stop button');
      fake.openEditor(SOURCE, { selection: new Selection(0, 0, 2, 1) });
      await fake.commands.get('aide.explainSelection')?.();
      await waitFor(() => ollama.chats.length === 1 && fake.contextKeys.get(GENERATING_CONTEXT_KEY) === true, 'the answer to stream');
      await fake.commands.get('aide.stop')?.();
      await waitFor(() => fake.contextKeys.get(GENERATING_CONTEXT_KEY) === false, 'the Stop button to hide');
    } finally {
      context.dispose();
      await ollama.close();
    }
  });
});

