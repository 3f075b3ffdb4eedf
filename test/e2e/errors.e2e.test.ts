/**
 * Failures a user meets in a real VS Code (code-server): a wrong relay token and a relay that is down.
 * Each must end in a clear message with a way out, and the extension must keep working afterwards.
 */
import assert from 'node:assert/strict';
import { describe } from 'node:test';
import { scenario, useEnvironment } from './support/environment';
import { ask, bodyText, waitForAnswerDone } from './support/chat';
import { waitUntil } from './support/deadline';
import { docScreenshot, notificationToast, openChatView, setRelayToken, statusBarItem } from './support/workbench';
import type { FrameLocator, Locator, Page } from 'playwright-core';

/** The text of the inline error in this answer, or of an error notification, whichever shows first. */
async function visibleError(page: Page, answer: Locator): Promise<string> {
  return await waitUntil(
    async () => {
      const inline = answer.locator('.error');
      if ((await inline.count()) > 0 && (await inline.first().isVisible())) return (await inline.first().textContent()) ?? '';
      const toast = page.locator('.notifications-toasts .notification-toast').first();
      if (await toast.isVisible()) return (await toast.textContent()) ?? '';
      return undefined;
    },
    { what: 'an error message', timeoutMs: 20_000 },
  );
}

async function answerWorks(chat: FrameLocator, question: string): Promise<void> {
  const { answer } = await ask(chat, question);
  await waitForAnswerDone(chat, answer);
  assert.match(await bodyText(answer), new RegExp(`^echo: ${question}`));
}

describe('errors the user can recover from', () => {
  const environment = useEnvironment({ name: 'errors', files: { 'notes.py': 'x = 1\n' } });

  scenario(environment, 'a wrong token gives a clear error that points to Set Relay Token, and fixing it works', async ({ page, relay }) => {
    await setRelayToken(page, 'not-the-right-token-0123456789');
    const chat = await openChatView(page);
    const { answer } = await ask(chat, 'Hello with a wrong token');
    const message = await visibleError(page, answer);
    assert.match(message, /Set Relay Token/, `the error should say how to fix it: ${message}`);
    assert.doesNotMatch(message, /not-the-right-token/, 'the error never repeats the token');
    await docScreenshot(page, 'error-wrong-token');

    await setRelayToken(page, relay.token);
    await notificationToast(page, /./).first().waitFor({ state: 'detached', timeout: 5000 }).catch(() => undefined);
    await answerWorks(chat, 'Hello with the right token');
  });

  scenario(environment, 'a relay that is down gives a clear error, and a restarted relay answers again', async ({ page, relay }) => {
    const chat = await openChatView(page);
    await relay.kill();
    const { answer } = await ask(chat, 'Hello while the relay is down');
    const message = await visibleError(page, answer);
    assert.match(message, /relay/i, `the error should say the relay is the problem: ${message}`);
    assert.ok(message.includes(`127.0.0.1:${relay.port}`), `the error should say which address failed: ${message}`);
    await waitUntil(async () => (await statusBarItem(page).locator('.codicon-warning').count()) > 0, {
      what: 'the status bar to show the error state',
      timeoutMs: 10_000,
    });

    await relay.start();
    await answerWorks(chat, 'Hello after the restart');
  });
});
