import fs from 'node:fs';
import path from 'node:path';
import type { FrameLocator, Locator, Page } from 'playwright-core';
import { docsImagesDir } from './paths';

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

/** Runs a palette command by its full label, e.g. `AIDE: Set Relay Token`. */
export async function runCommand(page: Page, label: string): Promise<void> {
  await page.keyboard.press('Escape');
  await page.keyboard.press('F1');
  const input = quickInput(page);
  await input.waitFor({ timeout: 10_000 });
  await input.fill(`>${label}`);
  // The row's aria-label is the command label, which avoids matching a longer command by prefix.
  await page.locator('.quick-input-list .monaco-list-row', { hasText: label }).first().waitFor({ timeout: 10_000 });
  await page.keyboard.press('Enter');
}

/** Opens a workspace file through Quick Open and puts the cursor in its editor. */
export async function openFile(page: Page, name: string): Promise<Locator> {
  await page.keyboard.press('Escape');
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
  await prompt.waitFor({ timeout: 20_000 });
  return chat;
}

export function chatFrame(page: Page): FrameLocator {
  return page.frameLocator(`iframe.webview[src*="extensionId=${EXTENSION_ID}"]`).frameLocator('#active-frame');
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
