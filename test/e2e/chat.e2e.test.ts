/**
 * Chat in a real VS Code (code-server): token through the palette, a streamed answer with a highlighted
 * code block, Copy / Insert, Stop cutting a long answer all the way to Ollama, and Explain Selection.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe } from 'node:test';
import { CHAT_MODEL, scenario, useEnvironment } from './support/environment';
import { ask, bodyText, sampleGrowth, waitForAnswerDone } from './support/chat';
import { sleep, waitUntil } from './support/deadline';
import { docScreenshot, openChatView, openFile, runCommand, setRelayToken } from './support/workbench';

const CODE = 'def add(a, b):\n    return a + b';
// The fake Ollama answers "echo: <last user message>", so a question holding a fenced block gets an
// answer holding that block.
const QUESTION = `How do I add two numbers in Python?\n\`\`\`python\n${CODE}\n\`\`\`\nThanks`;

describe('chat view', () => {
  const environment = useEnvironment({
    name: 'chat',
    files: {
      'insert.py': '# the answer goes below\n',
      'explain.py': 'def fizz(n):\n    return "Fizz" if n % 3 == 0 else str(n)\n',
    },
  });

  scenario(environment, 'AIDE: Set Relay Token stores the typed token without writing it to settings', async ({ page, relay, editor }) => {
    await setRelayToken(page, relay.token);
    const userSettings = fs.readFileSync(path.join(editor.userDataDir, 'User', 'settings.json'), 'utf8');
    assert.ok(!userSettings.includes(relay.token), 'the token must live in SecretStorage, not in settings.json');
  });

  scenario(environment, 'a question streams into an answer with a highlighted code block', async ({ page, fake }) => {
    await fake.reset();
    await fake.behave({ model: CHAT_MODEL, tokenDelayMs: 40 });
    const chat = await openChatView(page);
    const { answer } = await ask(chat, QUESTION);
    await chat.locator('.turn.user', { hasText: 'How do I add two numbers' }).last().waitFor();
    const lengths = await sampleGrowth(answer, async () => (await answer.locator('.stats').count()) > 0, 20_000);
    assert.ok(lengths.filter((n) => n > 0).length >= 3, `the answer should grow in pieces, saw lengths ${JSON.stringify(lengths)}`);
    await waitForAnswerDone(chat, answer);

    const block = answer.locator('pre.code-block').first();
    const code = block.locator('code.hljs');
    assert.equal(((await code.textContent()) ?? '').trim(), CODE);
    assert.ok((await code.locator('span[class*="hljs-keyword"]').count()) > 0, 'the Python keywords should be highlighted');
    assert.match(await bodyText(answer), /^echo: How do I add two numbers in Python\?/);
    const { requests } = await fake.summary();
    assert.ok(requests.some((r) => r.path === '/api/chat' && r.model === CHAT_MODEL && r.status === 200), 'the chat went through the relay to Ollama');
    await docScreenshot(page, 'chat-answer');
  });

  scenario(environment, 'Copy puts the code on the clipboard and Insert writes it into the open editor', async ({ page, editor }) => {
    await openFile(page, 'insert.py');
    await page.keyboard.press('Control+End');
    const chat = await openChatView(page);
    const block = chat.locator('.turn.assistant pre.code-block').last();

    await block.locator('button[data-action="copy"]').click();
    const clipboard = await waitUntil(
      async () => {
        const text = await page.evaluate(async () => await navigator.clipboard.readText());
        return text.includes('def add') ? text : undefined;
      },
      { what: 'the copied code on the clipboard', timeoutMs: 10_000 },
    );
    assert.equal(clipboard.trim(), CODE);

    await block.locator('button[data-action="insert"]').click();
    await page.locator('.editor-instance .monaco-editor .view-lines', { hasText: 'return a + b' }).first().waitFor({ timeout: 10_000 });
    await runCommand(page, 'File: Save');
    const saved = await waitUntil(
      () => {
        const text = editor.readFile('insert.py');
        return text.includes('return a + b') ? text : undefined;
      },
      { what: 'insert.py saved with the inserted code', timeoutMs: 10_000 },
    );
    assert.ok(saved.startsWith('# the answer goes below\n'), `the code goes at the cursor, after the existing line:\n${saved}`);
    assert.ok(saved.includes(CODE), `insert.py should hold the code block:\n${saved}`);
  });

  scenario(environment, 'Stop cuts a long answer and the generation stops at Ollama', async ({ page, fake }) => {
    await fake.reset();
    await fake.behave({ model: CHAT_MODEL, tokenDelayMs: 100, tokens: 400 });
    const chat = await openChatView(page);
    const { answer } = await ask(chat, 'Tell me a very long story');
    await waitUntil(async () => (await bodyText(answer)).length > 20, { what: 'the story to start', timeoutMs: 15_000 });
    const stop = chat.locator('button#stop');
    assert.ok(await stop.isVisible(), 'Stop is shown while the answer streams');
    assert.equal((await fake.summary()).stats.activeGenerations, 1);

    await stop.click();
    // From here on, every token Ollama produces would be for nobody.
    await fake.clientGone();
    const stats = await waitUntil(
      async () => {
        const current = (await fake.summary()).stats;
        return current.activeGenerations === 0 ? current : undefined;
      },
      { what: 'the upstream generation to stop', timeoutMs: 5000 },
    );
    assert.equal(stats.generationsAborted, 1, 'the generation was aborted, not completed');
    assert.equal(stats.generationsCompleted, 0);
    assert.equal(stats.tokensAfterClientGone, 0);
    assert.ok(stats.tokensProduced < 400, `Ollama stopped early (${stats.tokensProduced} of 400 tokens)`);
    await stop.waitFor({ state: 'hidden', timeout: 5000 });

    // Nothing keeps generating or arriving after Stop.
    const shownAfterStop = (await bodyText(answer)).length;
    await sleep(700);
    const later = (await fake.summary()).stats;
    assert.equal(later.tokensProduced, stats.tokensProduced, 'no tokens are generated for nobody');
    assert.equal((await bodyText(answer)).length, shownAfterStop, 'the answer stays as it was when stopped');
    await fake.reset();
  });

  scenario(environment, 'AIDE: Explain Selection streams an explanation of the selected code into the chat view', async ({ page, fake }) => {
    await fake.reset();
    const before = await openChatView(page);
    await before.locator('button#new-chat').click();
    await before.locator('#messages .turn').first().waitFor({ state: 'detached', timeout: 5000 });
    await openFile(page, 'explain.py');
    await page.keyboard.press('Control+A');
    await runCommand(page, 'AIDE: Explain Selection');
    const chat = await openChatView(page);
    const answer = chat.locator('.turn.assistant').last();
    await waitUntil(async () => (await bodyText(answer)).includes('def fizz(n):'), {
      what: 'the explanation quoting the selection',
      timeoutMs: 15_000,
    });
    await waitForAnswerDone(chat, answer);
    const { requests } = await fake.summary();
    assert.ok(requests.some((r) => r.path === '/api/chat' && r.model === CHAT_MODEL && r.status === 200));
    await docScreenshot(page, 'explain-selection');
  });
});
