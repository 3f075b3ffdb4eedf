import assert from 'node:assert/strict';
import type { HostMessage } from '../../extension/common/protocol';
import { useChatPage, WAIT_MS, type ChatPage } from './harness';

const CONTEXT: HostMessage = {
  type: 'context',
  context: { selection: { file: 'src/main.ts', startLine: 4, endLine: 4 }, file: { name: 'main.ts', languageId: 'typescript' } },
};

describe('chat webview: input, actions and code blocks', function () {
  const chatPage = useChatPage();
  let chat: ChatPage;

  beforeEach(async () => {
    chat = chatPage();
    await chat.clearPosted();
  });

  it('Enter sends the message with a request id and clears the input', async () => {
    const prompt = chat.page.locator('textarea#prompt');
    await prompt.fill('  How do I sort?  ');
    await prompt.press('Enter');
    const sent = await chat.waitForPosted('chat/send');
    assert.equal(sent.text, '  How do I sort?  ');
    assert.match(sent.requestId, /^[0-9a-f]{24}$/);
    assert.equal(sent.useSelection, false, 'no selection chip, so no selection');
    assert.equal(sent.useFile, false);
    assert.equal(await prompt.inputValue(), '');
    assert.equal(await chat.page.locator('button#stop').isVisible(), true, 'Stop shows while the request is pending');
  });

  it('Shift+Enter inserts a newline and does not send', async () => {
    const prompt = chat.page.locator('textarea#prompt');
    await prompt.fill('line one');
    await prompt.press('Shift+Enter');
    await prompt.pressSequentially('line two');
    await chat.settle();
    assert.equal(await prompt.inputValue(), 'line one\nline two');
    assert.deepEqual(await chat.postedOfType('chat/send'), []);
    await chat.page.locator('button#send').click();
    assert.equal((await chat.waitForPosted('chat/send')).text, 'line one\nline two');
  });

  it('blank input is not sent', async () => {
    const prompt = chat.page.locator('textarea#prompt');
    await prompt.fill('   \n ');
    await prompt.press('Enter');
    await chat.settle();
    assert.deepEqual(await chat.postedOfType('chat/send'), []);
    assert.equal(await chat.page.locator('button#send').isDisabled(), true);
  });

  it('context chips toggle what chat/send carries', async () => {
    const page = chat.page;
    await chat.host(CONTEXT);
    const selectionChip = page.locator('#chips .chip[data-kind="selection"]');
    const fileChip = page.locator('#chips .chip[data-kind="file"]');
    await selectionChip.waitFor({ timeout: WAIT_MS });
    assert.match((await selectionChip.textContent()) ?? '', /main\.ts:4/);

    await page.locator('textarea#prompt').fill('with both');
    await page.locator('textarea#prompt').press('Enter');
    const first = await chat.waitForPosted('chat/send');
    assert.deepEqual([first.useSelection, first.useFile], [true, true]);
    await chat.host({ type: 'chat/error', requestId: first.requestId, message: 'x', retryable: false });
    await page.locator('button#send').waitFor({ state: 'visible', timeout: WAIT_MS });

    await selectionChip.click();
    assert.equal(await selectionChip.getAttribute('class'), 'chip off');
    assert.equal(await selectionChip.getAttribute('aria-pressed'), 'false');
    await chat.clearPosted();
    await page.locator('textarea#prompt').fill('file only');
    await page.locator('textarea#prompt').press('Enter');
    const second = await chat.waitForPosted('chat/send');
    assert.deepEqual([second.useSelection, second.useFile], [false, true]);

    // A context update (the editor selection moved) keeps the user's choice.
    await chat.host(CONTEXT);
    await chat.settle();
    assert.equal(await selectionChip.getAttribute('class'), 'chip off');
    await fileChip.click();
    assert.equal(await fileChip.getAttribute('class'), 'chip off');
    await selectionChip.click();
    assert.equal(await selectionChip.getAttribute('class'), 'chip');
  });

  it('Stop posts chat/cancel for the running request and hides once it is done', async () => {
    const page = chat.page;
    await chat.host({ type: 'chat/start', requestId: 'r7', prompt: { role: 'user', content: 'q' }, model: 'm' }, { type: 'chat/delta', requestId: 'r7', text: 'partial' });
    await page.locator('button#stop').click();
    assert.deepEqual(await chat.waitForPosted('chat/cancel'), { type: 'chat/cancel', requestId: 'r7' });
    assert.equal(await page.locator('button#stop').isVisible(), true, 'still running until the host confirms');
    await chat.host({ type: 'chat/done', requestId: 'r7', stats: {}, stopped: true });
    await page.locator('button#stop').waitFor({ state: 'hidden', timeout: WAIT_MS });
    assert.equal(await page.locator('button#send').isVisible(), true);
  });

  it('Escape posts chat/cancel for the running request', async () => {
    await chat.host({ type: 'chat/start', requestId: 'r8', prompt: { role: 'user', content: 'q' }, model: 'm' });
    await chat.page.locator('textarea#prompt').focus();
    await chat.page.keyboard.press('Escape');
    assert.deepEqual(await chat.waitForPosted('chat/cancel'), { type: 'chat/cancel', requestId: 'r8' });
  });

  it('Escape with nothing running posts nothing', async () => {
    await chat.page.locator('textarea#prompt').focus();
    await chat.page.keyboard.press('Escape');
    await chat.settle();
    assert.deepEqual(await chat.posted(), []);
  });

  it('Stop on a send the host never started gives the input back', async () => {
    const page = chat.page;
    await page.locator('textarea#prompt').fill('hello');
    await page.locator('textarea#prompt').press('Enter');
    const sent = await chat.waitForPosted('chat/send');
    await page.locator('button#stop').click();
    assert.deepEqual(await chat.waitForPosted('chat/cancel'), { type: 'chat/cancel', requestId: sent.requestId });
    await page.locator('button#send').waitFor({ state: 'visible', timeout: WAIT_MS });
  });

  it('code block buttons post copy, insert and apply with the exact code', async () => {
    const code = 'function greet(name: string): string {\n\treturn `<b>${name}</b> & "friends"`;  \n}\n\n// end';
    const answer = `Try this:\n\n\`\`\`ts\n${code}\n\`\`\`\n\nand this:\n\n\`\`\`\nplain <tag>\n\`\`\`\n`;
    await chat.host(
      { type: 'chat/start', requestId: 'r1', prompt: { role: 'user', content: 'q' }, model: 'm' },
      { type: 'chat/delta', requestId: 'r1', text: answer },
      { type: 'chat/done', requestId: 'r1', stats: {}, stopped: false },
    );
    const first = chat.page.locator('pre.code-block').first();
    await first.locator('code.hljs').waitFor({ timeout: WAIT_MS });
    assert.equal(await chat.page.locator('pre.code-block').count(), 2);

    await first.locator('button[data-action="copy"]').click();
    assert.deepEqual(await chat.waitForPosted('code/copy'), { type: 'code/copy', code });
    await first.locator('button[data-action="insert"]').click();
    assert.deepEqual(await chat.waitForPosted('code/insert'), { type: 'code/insert', code });
    await chat.page.locator('pre.code-block').nth(1).locator('button[data-action="apply"]').click();
    assert.deepEqual(await chat.waitForPosted('code/apply'), { type: 'code/apply', code: 'plain <tag>' });
  });

  it('code block buttons work while the answer is still streaming', async () => {
    await chat.host(
      { type: 'chat/start', requestId: 'r1', prompt: { role: 'user', content: 'q' }, model: 'm' },
      { type: 'chat/delta', requestId: 'r1', text: '```py\nprint("done")\n```\n\nMore text' },
    );
    await chat.page.locator('pre.code-block button[data-action="insert"]').waitFor({ timeout: WAIT_MS });
    await chat.host({ type: 'chat/delta', requestId: 'r1', text: ' keeps coming' });
    await chat.page.locator('pre.code-block button[data-action="insert"]').click();
    assert.deepEqual(await chat.waitForPosted('code/insert'), { type: 'code/insert', code: 'print("done")' });
  });

  it('icon buttons have accessible names and the message list is a polite live region', async () => {
    const page = chat.page;
    for (const id of ['new-chat', 'history', 'refresh-models', 'send', 'stop']) {
      assert.ok(((await page.locator(`button#${id}`).getAttribute('aria-label')) ?? '').length > 0, `#${id} has an aria-label`);
    }
    assert.equal(await page.locator('#messages').getAttribute('aria-live'), 'polite');
    assert.ok(((await page.locator('textarea#prompt').getAttribute('aria-label')) ?? '').length > 0);
  });
});
