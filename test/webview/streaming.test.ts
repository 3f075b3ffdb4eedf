import assert from 'node:assert/strict';
import type { HostMessage } from '../../extension/common/protocol';
import { useChatPage, WAIT_MS, type ChatPage } from './harness';

const start = (requestId: string, content = 'Explain this'): HostMessage => ({
  type: 'chat/start',
  requestId,
  prompt: { role: 'user', content },
  model: 'qwen2.5-coder:7b',
});
const delta = (requestId: string, text: string): HostMessage => ({ type: 'chat/delta', requestId, text });

// Block kinds whose boundaries the incremental renderer must get right.
const RICH_ANSWER = [
  '# Title',
  'Setext heading',
  '---',
  '',
  'A paragraph with `code`, *emphasis* and a https://example.com link',
  'continued on a second line.',
  '',
  '- item one',
  '- item two',
  '',
  '  still item two',
  '',
  '  ```js',
  '  const nested = true;',
  '  ```',
  '1. ordered',
  '2. list',
  '',
  '> quoted',
  'lazy continuation',
  '',
  '    indented code',
  '    block',
  '',
  '| a | b |',
  '|:--|--:|',
  '| 1 | 2 |',
  '',
  '```python',
  'def f():',
  '    return "```"',
  '```',
  '***',
  'Last line without newline',
].join('\n');

describe('chat webview: streaming answers', function () {
  const chatPage = useChatPage();
  let chat: ChatPage;

  beforeEach(async () => {
    chat = chatPage();
  });

  it('chat/start shows the question and an empty answer tied to the request', async () => {
    await chat.host(start('r1', 'What is <b>this</b>?'));
    const page = chat.page;
    await page.locator('.turn.assistant[data-request-id="r1"]').waitFor({ timeout: WAIT_MS });
    assert.equal(await page.locator('.turn.user .body').textContent(), 'What is <b>this</b>?');
    assert.equal(await page.locator('.turn.user .body b').count(), 0);
    assert.equal((await page.locator('.turn.assistant .body').textContent())?.trim(), '');
    assert.equal(await page.locator('button#stop').isVisible(), true);
  });

  it('a command-started turn shows its label instead of the whole prompt', async () => {
    await chat.host({ type: 'chat/start', requestId: 'r1', prompt: { role: 'user', content: 'Explain the following code…', label: 'Explain selection' }, model: 'm' });
    await chat.waitForText('.turn.user .body', 'Explain selection');
    assert.equal(await chat.page.locator('.turn.user .body').textContent(), 'Explain selection');
  });

  it('renders streamed deltas incrementally and the final markdown correctly', async () => {
    const page = chat.page;
    await chat.host(start('r1'), delta('r1', 'Here is '), delta('r1', 'the **pl'));
    await chat.waitForText('.turn.assistant .body', 'Here is the');
    await chat.host(delta('r1', 'an**:\n\n1. first\n2. sec'), delta('r1', 'ond\n\n```type'));
    await chat.waitForText('.turn.assistant .body li', 'second');
    assert.equal(await page.locator('.turn.assistant .body strong').textContent(), 'plan');
    await chat.host(delta('r1', 'script\nconst answer: number = 42;\n'), delta('r1', '```\n\nDone [docs](https://example.com/a).'));
    await chat.host({ type: 'chat/done', requestId: 'r1', stats: {}, stopped: false });
    await chat.waitForText('.turn.assistant .body p', 'Done');

    const body = page.locator('.turn.assistant[data-request-id="r1"] .body');
    assert.deepEqual(await body.locator('ol > li').allTextContents(), ['first', 'second']);
    const code = body.locator('pre.code-block code.hljs');
    assert.equal(await code.textContent(), 'const answer: number = 42;');
    assert.equal(await code.getAttribute('class'), 'hljs language-typescript');
    assert.equal(await code.locator('.hljs-keyword').first().textContent(), 'const');
    assert.equal(await body.locator('a').getAttribute('href'), 'https://example.com/a');
  });

  for (const chunk of [1, 5, 23]) {
    it(`streaming in ${chunk}-character deltas renders the same document as rendering it whole`, async () => {
      const page = chat.page;
      await chat.host(start('r1'));
      await page.locator('.turn.assistant[data-request-id="r1"]').waitFor({ timeout: WAIT_MS });
      await page.evaluate(
        async ([text, size]) => {
          for (let i = 0, n = 0; i < text.length; i += size, n++) {
            window.postMessage({ type: 'chat/delta', requestId: 'r1', text: text.slice(i, i + size) }, '*');
            // Let frames render mid-stream, at varying points of the text.
            if (n % 5 === 0) await new Promise((resolve) => requestAnimationFrame(resolve));
          }
          window.postMessage({ type: 'chat/done', requestId: 'r1', stats: { completionTokens: 1 }, stopped: false }, '*');
        },
        [RICH_ANSWER, chunk] as const,
      );
      await page.locator('.turn.assistant[data-request-id="r1"] .stats').waitFor({ timeout: WAIT_MS });
      const streamed = await page.locator('.turn.assistant[data-request-id="r1"] .body').innerHTML();

      await chat.host({ type: 'session', sessionId: 's', turns: [{ role: 'assistant', content: RICH_ANSWER }] });
      await page.locator('.turn.assistant:not([data-request-id]) .body').waitFor({ timeout: WAIT_MS });
      const whole = await page.locator('.turn.assistant .body').innerHTML();
      assert.equal(streamed, whole);
      assert.match(whole, /<h1>Title<\/h1>/);
      assert.match(whole, /<td class="align-right">2<\/td>/);
      assert.match(whole, /<code class="hljs language-python">/);
    });
  }

  it('a reference-style link defined after its use resolves once the answer ends', async () => {
    await chat.host(start('r1'), delta('r1', 'See [the docs][ref].\n\nMore text.\n\n'));
    await chat.waitForText('.turn.assistant .body', 'More text.');
    await chat.host(delta('r1', '[ref]: https://example.com/docs\n'), { type: 'chat/done', requestId: 'r1', stats: {}, stopped: false });
    await chat.page.locator('.turn.assistant .body a').waitFor({ timeout: WAIT_MS });
    assert.equal(await chat.page.locator('.turn.assistant .body a').getAttribute('href'), 'https://example.com/docs');
    assert.equal(await chat.page.locator('.turn.assistant .body a').textContent(), 'the docs');
  });

  it('shows "Loading model…" from chat/loading until the first delta', async () => {
    const page = chat.page;
    await chat.host(start('r1'), { type: 'chat/loading', requestId: 'r1' });
    await chat.waitForText('.turn .loading', 'Loading model');
    await chat.host(delta('r1', 'Ready.'));
    await chat.waitForText('.turn.assistant .body', 'Ready.');
    assert.equal(await page.locator('.turn .loading').count(), 0);
  });

  it('chat/done shows the answer figures and hides Stop', async () => {
    const page = chat.page;
    await chat.host(start('r1'), delta('r1', 'ok'));
    await page.locator('button#stop').waitFor({ state: 'visible', timeout: WAIT_MS });
    await chat.host({
      type: 'chat/done',
      requestId: 'r1',
      stats: { promptTokens: 1234, completionTokens: 56, ttftMs: 310, tokensPerSecond: 41.26 },
      stopped: false,
    });
    await page.locator('.turn .stats').waitFor({ timeout: WAIT_MS });
    const stats = (await page.locator('.turn .stats').textContent()) ?? '';
    assert.match(stats, /1,234 tokens in/);
    assert.match(stats, /56 out/);
    assert.match(stats, /TTFT 310 ms/);
    assert.match(stats, /41\.3 tokens\/s/);
    assert.equal(await page.locator('button#stop').isVisible(), false);
    assert.equal(await page.locator('button#send').isVisible(), true);
    assert.equal(await page.locator('.turn.assistant').getAttribute('aria-busy'), 'false');
  });

  it('a stopped answer keeps its text and says it was stopped', async () => {
    await chat.host(start('r1'), delta('r1', 'partial answer'), { type: 'chat/done', requestId: 'r1', stats: {}, stopped: true });
    await chat.waitForText('.turn .stats', 'stopped');
    assert.equal((await chat.page.locator('.turn.assistant .body').textContent())?.trim(), 'partial answer');
  });

  it('an answer cut at the token limit, or sent without the earliest exchanges, says so under it', async () => {
    await chat.host(start('r1'), delta('r1', 'half an answer'), {
      type: 'chat/done',
      requestId: 'r1',
      stats: { completionTokens: 128, cutOff: true, historyLeftOut: 2 },
      stopped: false,
    });
    await chat.waitForText('.turn .stats', '(answer cut off at the token limit)');
    const stats = (await chat.page.locator('.turn .stats').textContent()) ?? '';
    assert.match(stats, /2 earlier exchanges left out to fit the context/);
    assert.match(stats, /128 out/);
  });

  it('chat/error shows the message inline; Retry removes the exchange and posts chat/retry', async () => {
    const page = chat.page;
    await chat.host(start('r0', 'first'), delta('r0', 'fine'), { type: 'chat/done', requestId: 'r0', stats: {}, stopped: false });
    await chat.host(start('r1', 'second'), delta('r1', 'half'));
    await chat.host({ type: 'chat/error', requestId: 'r1', message: 'relay unreachable: <connect ECONNREFUSED>', retryable: true });
    await chat.waitForText('.turn .error', 'relay unreachable');
    assert.equal(await page.locator('.turn .error').textContent().then((t) => t?.includes('<connect ECONNREFUSED>')), true);
    assert.equal(await page.locator('button#stop').isVisible(), false);

    await page.locator('.turn.assistant[data-request-id="r1"] button[data-action="retry"]').click();
    assert.deepEqual(await chat.waitForPosted('chat/retry'), { type: 'chat/retry', requestId: 'r1' });
    assert.deepEqual((await page.locator('.turn .body').allTextContents()).map((t) => t.trim()), ['first', 'fine']);

    await chat.host(start('r2', 'second'), delta('r2', 'works now'));
    await chat.waitForText('.turn.assistant[data-request-id="r2"] .body', 'works now');
    assert.equal(await page.locator('.turn').count(), 4);
  });

  it('a non-retryable error has no Retry button', async () => {
    await chat.host(start('r1'), { type: 'chat/error', requestId: 'r1', message: 'model "x" not found', retryable: false });
    await chat.waitForText('.turn .error', 'not found');
    assert.equal(await chat.page.locator('button[data-action="retry"]').count(), 0);
  });

  it('an error for a request that never started is still shown', async () => {
    await chat.page.locator('textarea#prompt').fill('hello');
    await chat.page.keyboard.press('Enter');
    const sent = await chat.waitForPosted('chat/send');
    await chat.host({ type: 'chat/error', requestId: sent.requestId, message: 'No chat model selected', retryable: false });
    await chat.waitForText('.turn .error', 'No chat model selected');
    assert.equal(await chat.page.locator('button#stop').isVisible(), false);
  });

  it('renders a 10 000-delta answer completely, re-rendering in frames rather than per delta', async () => {
    const page = chat.page;
    await chat.host(start('r0', 'earlier'), delta('r0', 'earlier answer'), { type: 'chat/done', requestId: 'r0', stats: {}, stopped: false });
    await chat.waitForText('.turn.assistant .body', 'earlier answer');
    await chat.host(start('r1', 'long'));
    await page.locator('.turn.assistant[data-request-id="r1"]').waitFor({ timeout: WAIT_MS });

    const observed = await page.evaluate(async () => {
      const earlier = document.querySelector('.turn.assistant[data-request-id="r0"] .body');
      const current = document.querySelector('.turn.assistant[data-request-id="r1"] .body');
      if (!earlier || !current) throw new Error('turns missing');
      const savesBefore = window.__aideHost.saves;
      let currentBatches = 0;
      let earlierMutations = 0;
      new MutationObserver(() => currentBatches++).observe(current, { childList: true, subtree: true, characterData: true });
      new MutationObserver((records) => (earlierMutations += records.length)).observe(earlier, { childList: true, subtree: true, characterData: true });
      // One message event per token, as the host sends them; paragraphs every 100 tokens.
      for (let i = 0; i < 10_000; i++) {
        window.postMessage({ type: 'chat/delta', requestId: 'r1', text: i % 100 === 99 ? `w${i}\n\n` : `w${i} ` }, '*');
      }
      window.postMessage({ type: 'chat/done', requestId: 'r1', stats: { completionTokens: 10_000 }, stopped: false }, '*');
      const deadline = Date.now() + 20_000;
      while (!document.querySelector('.turn.assistant[data-request-id="r1"] .stats')) {
        if (Date.now() > deadline) throw new Error('the long answer never finished rendering');
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      return { currentBatches, earlierMutations, saves: window.__aideHost.saves - savesBefore };
    });

    const paragraphs = await page.locator('.turn.assistant[data-request-id="r1"] .body > p').allTextContents();
    assert.equal(paragraphs.length, 100);
    assert.equal(paragraphs[0]?.split(' ').length, 100);
    assert.ok(paragraphs[0]?.startsWith('w0 w1 w2 '));
    assert.ok(paragraphs[99]?.endsWith('w9998 w9999'));
    const words = paragraphs.join(' ').split(/\s+/);
    assert.deepEqual(words, Array.from({ length: 10_000 }, (_, i) => `w${i}`));
    assert.equal(observed.earlierMutations, 0, 'finished turns are not re-rendered');
    assert.ok(observed.currentBatches < 1_000, `the answer re-rendered ${observed.currentBatches} times for 10 000 deltas`);
    assert.ok(observed.saves >= 1 && observed.saves < 100, `the state was saved ${observed.saves} times for 10 000 deltas`);
  });
});
