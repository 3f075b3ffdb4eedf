import assert from 'node:assert/strict';
import type { HostMessage } from '../../extension/common/protocol';
import { useChatPage, WAIT_MS, type ChatPage } from './harness';

const INIT: HostMessage = {
  type: 'init',
  models: ['qwen2.5-coder:7b', 'llama3.2:3b'],
  model: 'llama3.2:3b',
  sessionId: 's-1',
  turns: [
    { role: 'user', content: 'What does `map` return?' },
    { role: 'assistant', content: 'A **new array**.', model: 'llama3.2:3b', stats: { completionTokens: 5 } },
  ],
  sessions: [
    { id: 's-1', title: 'Array methods', updatedAt: Date.UTC(2025, 0, 2) },
    { id: 's-0', title: 'Older chat', updatedAt: Date.UTC(2025, 0, 1) },
  ],
  context: { selection: { file: '/repo/src/app.ts', startLine: 3, endLine: 9 }, file: { name: 'app.ts', languageId: 'typescript' } },
};

describe('chat webview: lifecycle', function () {
  const chatPage = useChatPage();
  let chat: ChatPage;

  beforeEach(async () => {
    chat = chatPage();
  });

  it('posts exactly one ready message when it loads', async () => {
    const posted = await chat.posted();
    assert.deepEqual(posted, [{ type: 'ready' }]);
  });

  it('renders init: models, turns, sessions and context chips', async () => {
    await chat.host(INIT);
    await chat.waitForText('.turn.assistant .body', 'new array');
    const page = chat.page;
    assert.deepEqual(await page.locator('select#model option').allTextContents(), ['qwen2.5-coder:7b', 'llama3.2:3b']);
    assert.equal(await page.locator('select#model').inputValue(), 'llama3.2:3b');
    assert.equal(await page.locator('.turn.user').count(), 1);
    assert.equal(await page.locator('.turn.assistant .body strong').textContent(), 'new array');
    assert.equal(await page.locator('.turn.user .body code').count(), 0, 'user text is plain text, not markdown');
    assert.match((await page.locator('.chip[data-kind="selection"]').textContent()) ?? '', /app\.ts:3-9/);
    assert.match((await page.locator('.chip[data-kind="file"]').textContent()) ?? '', /app\.ts/);

    await page.locator('button#history').click();
    assert.deepEqual(await page.locator('#history-list .history-item .history-title').allTextContents(), ['Array methods', 'Older chat']);
  });

  it('restores the conversation from saved state on reload, before any host message', async () => {
    await chat.host(INIT, { type: 'chat/start', requestId: 'r1', prompt: { role: 'user', content: 'And filter?' }, model: 'llama3.2:3b' });
    await chat.host({ type: 'chat/delta', requestId: 'r1', text: 'Also a *new* array.' });
    await chat.host({ type: 'chat/done', requestId: 'r1', stats: { ttftMs: 120 }, stopped: false });
    await chat.waitForText('.turn.assistant .stats', '120 ms');
    await chat.page.locator('textarea#prompt').fill('half-written question');
    // The state is saved throttled; wait until the saved copy has the finished answer and the draft.
    const deadline = Date.now() + WAIT_MS;
    for (;;) {
      const saved = await chat.savedState();
      if (saved.includes('Also a *new* array.') && saved.includes('half-written question')) break;
      if (Date.now() > deadline) throw new Error(`state not saved in time: ${saved}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }

    await chat.reload();
    const posted = await chat.posted();
    assert.deepEqual(posted, [{ type: 'ready' }], 'nothing but ready was exchanged after the reload');
    const page = chat.page;
    assert.deepEqual((await page.locator('.turn .body').allTextContents()).map((text) => text.trim()), ['What does `map` return?', 'A new array.', 'And filter?', 'Also a new array.']);
    assert.equal(await page.locator('.turn.assistant .body em').textContent(), 'new');
    assert.match((await page.locator('.turn.assistant .stats').last().textContent()) ?? '', /TTFT 120 ms/);
    assert.equal(await page.locator('textarea#prompt').inputValue(), 'half-written question');
    assert.equal(await page.locator('select#model').inputValue(), 'llama3.2:3b');
  });

  it('replaces restored turns with the host session on init', async () => {
    await chat.host(INIT);
    await chat.waitForText('.turn .body', 'new array');
    await chat.host({ type: 'session', sessionId: 's-0', turns: [{ role: 'user', content: 'Older question' }] });
    await chat.waitForText('.turn.user .body', 'Older question');
    assert.equal(await chat.page.locator('.turn').count(), 1);
  });

  it('a conversation that ends in a failed answer offers Retry after a reload', async () => {
    await chat.host({
      type: 'init',
      models: [],
      model: '',
      sessionId: 's',
      turns: [
        { role: 'user', content: 'first' },
        { role: 'assistant', content: 'fine' },
        { role: 'user', content: 'second' },
        { role: 'assistant', content: '', error: 'Could not reach the relay' },
      ],
      sessions: [],
      context: {},
    });
    await chat.waitForText('.turn .error', 'Could not reach the relay');
    const retry = chat.page.locator('.turn.assistant').last().locator('button[data-action="retry"]');
    const requestId = await chat.page.locator('.turn.assistant').last().getAttribute('data-request-id');
    await retry.click();
    assert.deepEqual(await chat.waitForPosted('chat/retry'), { type: 'chat/retry', requestId });
    assert.deepEqual((await chat.page.locator('.turn .body').allTextContents()).map((text) => text.trim()), ['first', 'fine']);
  });

  it('ignores unknown and malformed host messages, and messages for requests it never saw', async () => {
    await chat.hostRaw(
      { type: 'telemetry/unknown', text: 'x' },
      { type: 'chat/delta', text: 'no request id' },
      { type: 'chat/start', requestId: 'r9' },
      // Well-formed, but for requests this view never saw (e.g. from before a New chat).
      { type: 'chat/delta', requestId: 'unknown', text: 'ghost text' },
      { type: 'chat/error', requestId: 'unknown', message: 'ghost error', retryable: true },
      'chat/start',
      null,
      42,
    );
    await chat.host(INIT);
    await chat.waitForText('.turn .body', 'new array');
    assert.equal(await chat.page.locator('.turn').count(), 2);
    assert.doesNotMatch((await chat.page.locator('#messages').textContent()) ?? '', /ghost/);
  });

  it('New chat posts chat/new and clears the view', async () => {
    await chat.host(INIT);
    await chat.waitForText('.turn .body', 'new array');
    await chat.page.locator('button#new-chat').click();
    await chat.waitForPosted('chat/new');
    assert.equal(await chat.page.locator('.turn').count(), 0);
  });

  it('the model picker posts model/select with the chosen model', async () => {
    await chat.host(INIT);
    await chat.page.locator('select#model').selectOption('qwen2.5-coder:7b');
    assert.deepEqual(await chat.waitForPosted('model/select'), { type: 'model/select', model: 'qwen2.5-coder:7b' });
  });

  it('the history list opens and deletes sessions', async () => {
    await chat.host(INIT);
    const page = chat.page;
    assert.equal(await page.locator('#history-list').isVisible(), false);
    await page.locator('button#history').click();
    assert.equal(await page.locator('button#history').getAttribute('aria-expanded'), 'true');
    await page.locator('.history-item', { hasText: 'Older chat' }).locator('button[data-action="delete"]').click();
    assert.deepEqual(await chat.waitForPosted('history/delete'), { type: 'history/delete', sessionId: 's-0' });
    await page.locator('.history-item', { hasText: 'Older chat' }).locator('.history-open').click();
    assert.deepEqual(await chat.waitForPosted('history/open'), { type: 'history/open', sessionId: 's-0' });
    assert.equal(await page.locator('#history-list').isVisible(), false, 'the list closes after opening a session');

    await chat.host({ type: 'history', sessions: [{ id: 's-1', title: 'Array methods', updatedAt: 1 }] });
    await page.locator('button#history').click();
    assert.deepEqual(await page.locator('.history-item .history-title').allTextContents(), ['Array methods']);
  });

  it('runs under the shipped CSP without a single violation', async () => {
    await chat.host(INIT, { type: 'chat/start', requestId: 'r1', prompt: { role: 'user', content: 'table?' }, model: 'm' });
    await chat.host({ type: 'chat/delta', requestId: 'r1', text: '| a | b |\n|:-|-:|\n| 1 | 2 |\n\n```ts\nconst x = 1;\n```\n' });
    await chat.host({ type: 'chat/done', requestId: 'r1', stats: {}, stopped: false });
    await chat.page.locator('.turn.assistant td.align-right').waitFor({ timeout: 5_000 });
    await chat.settle();
    assert.deepEqual(await chat.violations(), []);
  });
});
