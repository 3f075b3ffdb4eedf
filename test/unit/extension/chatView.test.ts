import './.setup';
import { strict as assert } from 'node:assert';
import { activate } from '../../../extension/extension';
import { CHAT_VIEW_ID } from '../../../extension/common/ids';
import { parseWebviewMessage } from '../../../extension/common/protocol';
import { fake, type FakeWebviewView } from '../../fakes/vscode';
import type { FakeExtensionContext } from '../../fakes/vscode/context';
import { startFakeOllama, type FakeOllama } from '../../fakes/fakeOllama';
import { waitFor } from './helpers';

describe('webview protocol guard', () => {
  const bad: Array<[string, unknown]> = [
    ['null', null],
    ['a string', 'ready'],
    ['an array', [{ type: 'ready' }]],
    ['no type', { requestId: 'x' }],
    ['an unknown type', { type: 'chat/explode' }],
    ['a numeric requestId', { type: 'chat/cancel', requestId: 5 }],
    ['an empty requestId', { type: 'chat/cancel', requestId: '' }],
    ['a missing flag', { type: 'chat/send', requestId: 'r', text: 'hi', useSelection: true }],
    ['a flag of the wrong type', { type: 'chat/send', requestId: 'r', text: 'hi', useSelection: 'yes', useFile: false }],
    ['empty text', { type: 'chat/send', requestId: 'r', text: '', useSelection: false, useFile: false }],
    ['oversized text', { type: 'chat/send', requestId: 'r', text: 'x'.repeat(200_001), useSelection: false, useFile: false }],
    ['oversized code', { type: 'code/apply', code: 'x'.repeat(1_000_001) }],
    ['an oversized model name', { type: 'model/select', model: 'm'.repeat(301) }],
    ['a prototype-polluting payload', JSON.parse('{"type":"ready","__proto__":{"polluted":true}}')],
  ];

  for (const [what, message] of bad.slice(0, -1)) {
    it(`rejects ${what} without throwing`, () => {
      assert.equal(parseWebviewMessage(message), undefined);
    });
  }

  it('accepts a well-formed message and drops unknown extra fields', () => {
    assert.deepEqual(parseWebviewMessage({ type: 'chat/send', requestId: 'r', text: 'hi', useSelection: true, useFile: false, extra: 1 }), {
      type: 'chat/send',
      requestId: 'r',
      text: 'hi',
      useSelection: true,
      useFile: false,
    });
    const polluted = parseWebviewMessage(bad.at(-1)?.[1]);
    assert.deepEqual(polluted, { type: 'ready' });
    assert.equal(Reflect.get({}, 'polluted'), undefined);
  });
});

describe('chat view provider', () => {
  let ollama: FakeOllama;
  let context: FakeExtensionContext;

  before(async () => {
    ollama = await startFakeOllama();
  });

  after(async () => {
    await ollama.close();
  });

  beforeEach(async () => {
    fake.reset();
    fake.configuration.set('aide.relay.url', ollama.url);
    fake.configuration.set('aide.chat.model', 'llama3.2:1b');
    context = fake.createExtensionContext();
    await activate(context);
  });

  afterEach(() => context.dispose());

  function initOf(view: FakeWebviewView): unknown {
    return view.posted.find((m) => typeof m === 'object' && m !== null && 'type' in m && m.type === 'init');
  }

  it('renders the page with a nonce CSP, bundle URIs from dist/webview and scripts enabled', async () => {
    const view = await fake.resolveWebviewView(CHAT_VIEW_ID);
    const html = view.webview.html;
    const nonce = /script-src 'nonce-([^']+)'/.exec(html)?.[1];
    assert.ok(nonce, 'a nonce-based script-src');
    assert.ok(html.includes(`nonce="${nonce}"`));
    assert.ok(html.includes('https://fake.vscode-cdn.net/') && html.includes('/dist/webview/chat.js') && html.includes('/dist/webview/chat.css'));
    assert.match(html, /default-src 'none'/);
    assert.equal(view.webview.options.enableScripts, true);
    assert.deepEqual(
      view.webview.options.localResourceRoots?.map((uri) => uri.path),
      [`${context.extensionUri.path}/dist/webview`, `${context.extensionUri.path}/media`],
    );
  });

  it('replaces a page that cannot be rendered by a script-free explanation, and logs why', async () => {
    const view = await fake.resolveWebviewView(CHAT_VIEW_ID, 'https://a.example; script-src *');
    assert.doesNotMatch(view.webview.html, /<script/);
    assert.match(view.webview.html, /The AIDE chat could not start/);
    assert.match(view.webview.html, /default-src 'none'/);
    assert.ok(fake.log.lines.some((line) => line.startsWith('[error] Chat view could not be rendered')));
  });

  it('posts nothing before the page is ready, then the initial state', async () => {
    const view = await fake.resolveWebviewView(CHAT_VIEW_ID);
    assert.deepEqual(view.posted, []);
    view.receive({ type: 'ready' });
    await waitFor(() => initOf(view) !== undefined, 'init');
    const init = initOf(view);
    assert.ok(typeof init === 'object' && init !== null && 'model' in init && init.model === 'llama3.2:1b');
    await waitFor(() => view.posted.some((m) => typeof m === 'object' && m !== null && 'type' in m && m.type === 'models'), 'the model list');
  });

  it('ignores malformed messages without throwing and logs them once', async () => {
    const view = await fake.resolveWebviewView(CHAT_VIEW_ID);
    view.receive({ type: 'chat/explode' });
    view.receive({ type: 'chat/send', requestId: 7 });
    view.receive('garbage');
    const warnings = fake.log.lines.filter((line) => line.startsWith('[warning]') && line.includes('not part of the protocol'));
    assert.equal(warnings.length, 1);
    assert.deepEqual(view.posted, []);
    assert.equal(ollama.requestsTo('/api/chat').length, 0);
  });

  it('disposes the previous view\'s listeners when the view is resolved again', async () => {
    const first = await fake.resolveWebviewView(CHAT_VIEW_ID);
    first.receive({ type: 'ready' });
    await waitFor(() => initOf(first) !== undefined, 'init in the first view');
    assert.equal(first.messageListeners, 1);

    const second = await fake.resolveWebviewView(CHAT_VIEW_ID);
    assert.equal(first.messageListeners, 0, 'the old page is no longer listened to');
    second.receive({ type: 'ready' });
    await waitFor(() => initOf(second) !== undefined, 'init in the second view');

    const before = first.posted.length;
    second.receive({ type: 'chat/send', requestId: 'r1', text: 'hello', useSelection: false, useFile: false });
    await waitFor(
      () => second.posted.some((m) => typeof m === 'object' && m !== null && 'type' in m && m.type === 'chat/done'),
      'the answer in the second view',
    );
    assert.equal(first.posted.length, before, 'nothing goes to the old view');
  });

  it('a disposed view stops receiving, and the next one picks up the conversation', async () => {
    const first = await fake.resolveWebviewView(CHAT_VIEW_ID);
    first.receive({ type: 'ready' });
    first.receive({ type: 'chat/send', requestId: 'r1', text: 'remember me', useSelection: false, useFile: false });
    await waitFor(() => first.posted.some((m) => typeof m === 'object' && m !== null && 'type' in m && m.type === 'chat/done'), 'the answer');
    first.dispose();
    assert.equal(first.messageListeners, 0);

    const second = await fake.resolveWebviewView(CHAT_VIEW_ID);
    second.receive({ type: 'ready' });
    await waitFor(() => initOf(second) !== undefined, 'init');
    assert.match(JSON.stringify(initOf(second)), /remember me/);
  });
});
