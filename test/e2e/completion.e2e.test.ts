/**
 * Inline completions in a real VS Code (code-server): ghost text from the FIM endpoint through the
 * relay, Tab to accept, and no pile-up of upstream generations while the user types fast.
 */
import assert from 'node:assert/strict';
import { describe } from 'node:test';
import { COMPLETION_MODEL, scenario, useEnvironment, waitForIdleFake } from './support/environment';
import { sleep, waitUntil } from './support/deadline';
import { fakeReplyText } from '../fakes/fakeOllama';
import { docScreenshot, ghostText, openFile, runCommand, setRelayToken, statusBarItem } from './support/workbench';

describe('inline completions', () => {
  const environment = useEnvironment({
    name: 'completion',
    files: { 'ghost.py': '', 'fast.py': '' },
  });

  scenario(environment, 'typing shows ghost text from the FIM endpoint and Tab accepts it', async ({ page, relay, fake, editor }) => {
    await setRelayToken(page, relay.token);
    await fake.reset();
    await openFile(page, 'ghost.py');
    const typed = 'def greet(name):';
    await page.keyboard.type(typed);
    // With fill-in-the-middle the prompt is exactly the text before the cursor, and the fake answers
    // "echo: <prompt>" (plus a multi-byte tail), so the ghost text is known to the character.
    const expected = fakeReplyText(typed);
    const shown = await waitUntil(async () => ((await ghostText(page)) === expected ? expected : undefined), {
      what: `ghost text ${JSON.stringify(expected)}`,
      timeoutMs: 15_000,
    });
    await docScreenshot(page, 'ghost-text');

    const { requests } = await fake.summary();
    const fim = requests.filter((r) => r.path === '/api/generate' && r.model === COMPLETION_MODEL);
    assert.ok(fim.length >= 1, 'the completion came from /api/generate on the completion model');
    assert.ok(!requests.some((r) => r.path === '/api/chat'), 'completions never use the chat endpoint');

    await page.keyboard.press('Tab');
    await runCommand(page, 'File: Save');
    const saved = await waitUntil(
      () => {
        const text = editor.readFile('ghost.py');
        return text.includes('echo:') ? text : undefined;
      },
      { what: 'ghost.py saved with the accepted completion', timeoutMs: 10_000 },
    );
    assert.equal(saved, typed + shown, 'Tab inserts the ghost text right after what was typed');

    // After a completion the status bar shows how long it took.
    await waitUntil(async () => /\d+\s?ms/.test((await statusBarItem(page).textContent()) ?? ''), {
      what: 'the last completion latency in the status bar',
      timeoutMs: 5000,
    });
    await docScreenshot(page, 'status-bar', page.locator('.part.statusbar'));
  });

  scenario(environment, 'fast typing keeps at most one upstream generation in flight for the document', async ({ page, fake }) => {
    await waitForIdleFake(environment());
    await fake.reset();
    // Every answer takes longer than the pause between two keystrokes, so each request is still
    // running when the next keystroke makes it stale.
    await fake.behave({ model: COMPLETION_MODEL, firstTokenDelayMs: 400 });
    await openFile(page, 'fast.py');

    let maxActive = 0;
    let samplesWithOneActive = 0;
    let polling = true;
    const poller = (async () => {
      while (polling) {
        const { stats } = await fake.summary();
        maxActive = Math.max(maxActive, stats.activeGenerations);
        if (stats.activeGenerations === 1) samplesWithOneActive += 1;
        await sleep(10);
      }
    })();
    try {
      await page.keyboard.type('for item in range(10):', { delay: 110 });
      await page.locator('.editor-instance .monaco-editor .ghost-text-decoration').first().waitFor({ timeout: 15_000 });
      await waitForIdleFake(environment());
    } finally {
      polling = false;
      await poller;
    }
    const { stats } = await fake.summary();
    // Several requests overlapped the typing (so there was something to pile up), yet never two at once.
    assert.ok(stats.generationsStarted >= 2, `completions should be requested while typing, saw ${stats.generationsStarted}`);
    assert.ok(samplesWithOneActive > 0, 'the sampling saw a generation in flight, so it could have seen two');
    assert.ok(maxActive <= 1, `at most one generation in flight for the document, saw ${maxActive}`);
    assert.equal(stats.tokensAfterClientGone, 0);
    await fake.reset();
  });
});
