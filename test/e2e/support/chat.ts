import type { FrameLocator, Locator } from 'playwright-core';
import { waitUntil } from './deadline';

/** Moves inside the chat webview, through the selectors fixed in the shared UI contract. */

export interface SentQuestion {
  /** the assistant turn that answers this question */
  readonly answer: Locator;
}

/** Types a question into `textarea#prompt`, sends it with `button#send`, and returns the new answer's turn. */
export async function ask(chat: FrameLocator, question: string): Promise<SentQuestion> {
  const before = await chat.locator('.turn.assistant').count();
  await chat.locator('textarea#prompt').fill(question);
  await chat.locator('button#send').click();
  const answer = chat.locator('.turn.assistant').nth(before);
  await answer.waitFor({ timeout: 15_000 });
  return { answer };
}

/** Resolves when the answer has finished: its per-answer figures are shown and Stop is gone. */
export async function waitForAnswerDone(chat: FrameLocator, answer: Locator, timeoutMs = 20_000): Promise<void> {
  await answer.locator('.stats').waitFor({ timeout: timeoutMs });
  await chat.locator('button#stop').waitFor({ state: 'hidden', timeout: timeoutMs });
}

/**
 * Samples the answer body while it grows and returns every distinct length seen, so a test can prove
 * the text arrived in pieces rather than all at once.
 */
export async function sampleGrowth(answer: Locator, until: () => Promise<boolean>, timeoutMs: number): Promise<number[]> {
  const lengths: number[] = [];
  await waitUntil(
    async () => {
      const text = (await answer.locator('.body').textContent().catch(() => null)) ?? '';
      if (lengths[lengths.length - 1] !== text.length) lengths.push(text.length);
      return await until();
    },
    { what: 'the answer to finish streaming', timeoutMs, intervalMs: 30 },
  );
  return lengths;
}

export async function bodyText(answer: Locator): Promise<string> {
  return ((await answer.locator('.body').textContent()) ?? '').replace(/\u00a0/g, ' ');
}
