import fs from 'node:fs';
import path from 'node:path';
import type { FrameLocator, Locator, Page } from 'playwright-core';
import { docsImagesDir } from './paths';
import { waitUntil } from './deadline';

/** Page-level moves on the VS Code workbench (1.100) that every scenario shares. */

export const EXTENSION_ID = 'aide-ollama.aide-ollama';

/** The activity bar entry of the AIDE view container (its title is "AIDE"). */
export function activityBarEntry(page: Page): Locator {
  return page.locator('.activitybar .action-item a[aria-label^="AIDE"]');
}

/** The status bar item the extension shows while active: `$(sparkle) AIDE`, `$(warning) AIDE`, … */
export function statusBarItem(page: Page): Locator {
  return page.locator('.statusbar .statusbar-item', { hasText: /AIDE/ }).first();
}

export function notificationToast(page: Page, text: string | RegExp): Locator {
  return page.locator('.notifications-toasts .notification-toast', { hasText: text });
}

export function quickInput(page: Page): Locator {
  return page.locator('.quick-input-widget input').first();
}

/**
 * Keys pressed while a webview (the chat view) has focus stay inside its iframe, so the palette
 * shortcut would never reach the workbench. Moving focus out of the iframe fixes that without
 * pressing Escape, which would also clear the editor's selection.
 */
async function focusWorkbench(page: Page): Promise<void> {
  await page.evaluate(() => {
    const active = document.activeElement;
    if (active instanceof HTMLElement && active.tagName === 'IFRAME') active.blur();
  });
}

/** Runs a palette command by its full label, e.g. `AIDE: Set Relay Token`. */
export async function runCommand(page: Page, label: string): Promise<void> {
  // Pick the row whose label is exactly the command: Enter would take the top row, which can be a
  // longer command that merely contains the text (e.g. "File: Save As…" or a recently used one).
  const exact = new RegExp(`^${label.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);
  const row = page.locator('.quick-input-list .monaco-list-row').filter({ has: page.locator('.label-name', { hasText: exact }) }).first();
  // The palette closes when something else takes focus (an editor the extension reveals, a
  // notification), so a lost palette is opened again, a bounded number of times.
  for (let attempt = 1; ; attempt += 1) {
    await focusWorkbench(page);
    await page.keyboard.press('F1');
    const input = quickInput(page);
    try {
      await input.waitFor({ timeout: 5000 });
      await input.fill(`>${label}`, { timeout: 5000 });
      await row.click({ timeout: 5000 });
      return;
    } catch (error: unknown) {
      if (attempt >= 3) throw error;
    }
  }
}

/** Opens a workspace file through Quick Open and puts the cursor in its editor. */
export async function openFile(page: Page, name: string): Promise<Locator> {
  await focusWorkbench(page);
  await page.keyboard.press('Control+P');
  const input = quickInput(page);
  await input.waitFor({ timeout: 10_000 });
  await input.fill(name);
  await page.locator('.quick-input-list .monaco-list-row', { hasText: name }).first().waitFor({ timeout: 15_000 });
  await page.keyboard.press('Enter');
  await page.locator(`.tab.active[aria-label*="${name}"]`).waitFor({ timeout: 10_000 });
  const editor = page.locator('.editor-instance .monaco-editor').first();
  await editor.locator('.view-lines').click();
  return editor;
}

/** Stores a relay token through `AIDE: Set Relay Token`, typing it into the password input box. */
export async function setRelayToken(page: Page, token: string): Promise<void> {
  await runCommand(page, 'AIDE: Set Relay Token');
  const input = page.locator('.quick-input-widget input[type="password"]');
  await input.waitFor({ timeout: 10_000 });
  await input.fill(token);
  await page.keyboard.press('Enter');
  await notificationToast(page, 'Relay token saved').first().waitFor({ timeout: 10_000 });
  await clearNotifications(page);
}

export async function clearNotifications(page: Page): Promise<void> {
  await runCommand(page, 'Notifications: Clear All Notifications');
  await page.locator('.notifications-toasts .notification-toast').first().waitFor({ state: 'detached', timeout: 5000 }).catch(() => undefined);
}

/** Shows the AIDE chat view and returns its document (outer webview iframe → inner `#active-frame`). */
export async function openChatView(page: Page): Promise<FrameLocator> {
  const chat = chatFrame(page);
  const prompt = chat.locator('textarea#prompt');
  if (!(await prompt.isVisible().catch(() => false))) {
    await activityBarEntry(page).click();
  }
  // VS Code replaces a view whose provider threw with this sentence; fail at once and say so.
  const loadError = page.getByText('An error occurred while loading view: aide.chatView');
  const outcome = await waitUntil(
    async () => ((await prompt.isVisible().catch(() => false)) ? 'ready' : (await loadError.isVisible().catch(() => false)) ? 'failed' : undefined),
    { what: 'the chat view to show its prompt', timeoutMs: 20_000 },
  );
  if (outcome === 'failed') throw new Error('VS Code could not load the chat view (aide.chatView): its provider threw; see console.log in the failure artifacts');
  return chat;
}

export function chatFrame(page: Page): FrameLocator {
  return page.frameLocator(`iframe.webview[src*="extensionId=${EXTENSION_ID}"]`).frameLocator('#active-frame');
}

/**
 * The inline ghost text of the active editor. With syntax highlighting on, Monaco splits it into one
 * `.ghost-text-decoration` span per token, so the parts are joined in document order.
 */
export async function ghostText(page: Page): Promise<string> {
  const parts = await page
    .locator('.editor-instance .monaco-editor .view-lines .ghost-text-decoration')
    .evaluateAll((spans) => spans.map((span) => span.textContent ?? ''));
  return editorText(parts.join(''));
}

/** Monaco renders spaces as U+00A0. */
export function editorText(raw: string | null): string {
  return (raw ?? '').replace(/\u00a0/g, ' ');
}

/** Screenshot for the user guide, only when E2E_SCREENSHOTS=1 (the docs keep what was committed otherwise). */
export async function docScreenshot(page: Page, name: string, clip?: Locator): Promise<void> {
  if (process.env.E2E_SCREENSHOTS !== '1') return;
  fs.mkdirSync(docsImagesDir, { recursive: true });
  // Let toasts and fades finish drawing so the picture shows the settled state.
  await page.waitForTimeout(400);
  const file = path.join(docsImagesDir, `${name}.png`);
  if (clip === undefined) await page.screenshot({ path: file });
  else await clip.screenshot({ path: file });
}
