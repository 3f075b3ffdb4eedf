import assert from 'node:assert/strict';
import type { HostMessage } from '../../extension/common/protocol';
import { useChatPage, WAIT_MS, type ChatPage } from './harness';

// Each payload tries to run `window.__pwned = true` in a different way.
const HOSTILE_ANSWER = [
  'Intro <script>window.__pwned = true</script> text',
  '',
  '<img src=x onerror="window.__pwned = true">',
  '',
  '[click me](javascript:window.__pwned=true) and <a href="javascript:window.__pwned=true">raw link</a>',
  '',
  '<javascript:window.__pwned=true> [data](data:text/html,<script>parent.__pwned=true</script>)',
  '',
  '![pixel](x" onerror="window.__pwned=true)',
  '',
  '<iframe srcdoc="<script>parent.__pwned=true</script>"></iframe> <svg onload="window.__pwned=true"></svg>',
  '',
  '<style>body { display: none }</style>',
  '',
  '```html',
  '<script>window.__pwned = true</script><img src=x onerror="window.__pwned=true">',
  '```',
  '',
  'The end.',
].join('\n');

describe('chat webview: security', function () {
  const chatPage = useChatPage();
  let chat: ChatPage;

  beforeEach(async () => {
    chat = chatPage();
  });

  async function streamAnswer(text: string, chunk: number): Promise<void> {
    const messages: HostMessage[] = [{ type: 'chat/start', requestId: 'r1', prompt: { role: 'user', content: 'go' }, model: 'm' }];
    for (let i = 0; i < text.length; i += chunk) messages.push({ type: 'chat/delta', requestId: 'r1', text: text.slice(i, i + chunk) });
    messages.push({ type: 'chat/done', requestId: 'r1', stats: { completionTokens: 1 }, stopped: false });
    await chat.host(...messages);
    await chat.page.locator('.turn.assistant .stats').waitFor({ timeout: WAIT_MS });
    await chat.settle();
  }

  for (const chunk of [1, 7, 10_000]) {
    it(`hostile model output streamed in ${chunk}-character deltas never runs and leaves no active markup`, async () => {
      await streamAnswer(HOSTILE_ANSWER, chunk);
      const page = chat.page;
      const body = page.locator('.turn.assistant .body');
      // Raw HTML is shown as text, exactly as the model wrote it.
      await chat.waitForText('.turn.assistant .body', '<script>window.__pwned = true</script>');
      await chat.waitForText('.turn.assistant .body', 'The end.');
      assert.equal(await body.locator('script, img, iframe, svg, style, object, embed, form').count(), 0);
      const hrefs = await body.locator('a').evaluateAll((links) => links.map((link) => link.getAttribute('href') ?? ''));
      assert.ok(hrefs.every((href) => /^https?:/.test(href)), `unexpected link targets: ${hrefs.join(', ')}`);
      const handlers = await page.evaluate(() =>
        Array.from(document.querySelectorAll('#messages *')).flatMap((node) => Array.from(node.attributes, (a) => a.name).filter((name) => name.startsWith('on') || name === 'style')),
      );
      assert.deepEqual(handlers, []);
      // Clicking every link must not run anything either.
      for (const link of await body.locator('a').all()) await link.click({ modifiers: ['Control'], noWaitAfter: true }).catch(() => undefined);
      await chat.settle();
      assert.equal(await page.evaluate(() => window.__pwned), undefined);
      assert.equal(await page.locator('body').isVisible(), true);
      assert.deepEqual(await chat.violations(), [], 'nothing even tried to run (the CSP reported nothing)');
    });
  }

  it('shows user text and error messages as text, never as markup', async () => {
    const hostile = '<img src=x onerror="window.__pwned=true"><b>bold</b>';
    await chat.host(
      { type: 'chat/start', requestId: 'r1', prompt: { role: 'user', content: hostile }, model: 'm' },
      { type: 'chat/error', requestId: 'r1', message: hostile, retryable: true },
    );
    await chat.waitForText('.turn .error', '<b>bold</b>');
    assert.equal(await chat.page.locator('.turn.user .body').textContent(), hostile);
    assert.equal(await chat.page.locator('#messages img, #messages b').count(), 0);
    await chat.settle();
    assert.equal(await chat.page.evaluate(() => window.__pwned), undefined);
  });

  it('hostile names in models, sessions and context stay text', async () => {
    const hostile = '"><img src=x onerror="window.__pwned=true">';
    await chat.host({
      type: 'init',
      models: [hostile],
      model: hostile,
      sessionId: 's',
      turns: [],
      sessions: [{ id: hostile, title: hostile, updatedAt: 0 }],
      context: { selection: { file: hostile, startLine: 1, endLine: 2 }, file: { name: hostile, languageId: hostile } },
    });
    await chat.page.locator('button#history').click();
    await chat.waitForText('.history-item', 'onerror');
    assert.equal(await chat.page.locator('img').count(), 0);
    assert.equal(await chat.page.locator('select#model option').first().textContent(), hostile);
    await chat.settle();
    assert.equal(await chat.page.evaluate(() => window.__pwned), undefined);
  });

  it('the Content-Security-Policy blocks an inline script', async () => {
    const page = chat.page;
    const policy = await page.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute('content');
    assert.match(policy ?? '', /default-src 'none'/);
    await page.evaluate(() => {
      const script = document.createElement('script');
      script.textContent = 'window.__inlineRan = true;';
      document.body.append(script);
    });
    await page.waitForFunction(() => window.__aideHost.violations.length > 0, undefined, { timeout: WAIT_MS });
    assert.equal(await page.evaluate(() => window.__inlineRan), undefined);
    const violations = await chat.violations();
    assert.ok(violations.some((v) => v.directive.startsWith('script-src') && v.blocked === 'inline'), JSON.stringify(violations));
  });

  it('the Content-Security-Policy blocks network requests from the page', async () => {
    const page = chat.page;
    const outcome = await page.evaluate(() =>
      fetch('/chat.css').then(
        () => 'fetched',
        () => 'blocked',
      ),
    );
    assert.equal(outcome, 'blocked');
    assert.ok((await chat.violations()).some((v) => v.directive === 'connect-src'));
  });
});
