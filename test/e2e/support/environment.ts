import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { after, before, it } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startFakeOllama, type FakeOllama } from './fakeOllamaProcess';
import { createRelay, type Relay } from './relayProcess';
import { findLogFiles, startCodeServer, type CodeServer } from './codeServer';
import { chromiumPath, resultsDir } from './paths';
import { waitUntil } from './deadline';
import { activityBarEntry, statusBarItem } from './workbench';

/**
 * One isolated world per test file: fake Ollama → relay → code-server with the packaged extension →
 * headless Chromium. Ports are free loopback ports; every directory is a fresh temp dir.
 */
export interface Environment {
  readonly fake: FakeOllama;
  readonly relay: Relay;
  readonly editor: CodeServer;
  readonly page: Page;
  readonly workDir: string;
  /** what the page console printed (the extension host's console.log arrives here too) */
  readonly consoleLines: readonly string[];
}

export const CHAT_MODEL = 'llama3.2:1b';
export const COMPLETION_MODEL = 'qwen2.5-coder:1.5b';

export interface EnvironmentOptions {
  readonly name: string;
  readonly files: Readonly<Record<string, string>>;
  readonly settings?: Readonly<Record<string, unknown>>;
}

function vsixPath(): string {
  const vsix = process.env.AIDE_E2E_VSIX;
  if (vsix === undefined || !fs.existsSync(vsix)) {
    throw new Error('AIDE_E2E_VSIX does not name a built .vsix: run the suite through "npm run test:e2e"');
  }
  return vsix;
}

async function start(options: EnvironmentOptions, consoleLines: string[]): Promise<{ env: Environment; browser: Browser }> {
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), `aide-e2e-${options.name}-`));
  const cleanup: Array<() => Promise<void>> = [];
  try {
    const fake = await startFakeOllama(workDir);
    cleanup.push(() => fake.stop());
    const relay = await createRelay({ ollamaUrl: fake.url, token: `e2e-${randomBytes(12).toString('hex')}`, workDir });
    cleanup.push(() => relay.stop());
    const editor = await startCodeServer({
      workDir,
      vsix: vsixPath(),
      files: options.files,
      settings: {
        'aide.relay.url': relay.url,
        'aide.chat.model': CHAT_MODEL,
        'aide.completion.model': COMPLETION_MODEL,
        'aide.completion.debounceMs': 50,
        ...options.settings,
      },
    });
    cleanup.push(() => editor.stop());
    const browser = await chromium.launch({ executablePath: chromiumPath, headless: true, timeout: 60_000 });
    cleanup.push(() => browser.close());
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    // Copy buttons write through the async Clipboard API; grant it for the workbench origin.
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: new URL(editor.url).origin });
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    page.on('console', (message) => consoleLines.push(message.text()));
    await page.goto(editor.url, { timeout: 60_000 });
    await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
    await activityBarEntry(page).waitFor({ timeout: 60_000 });
    // onStartupFinished activation creates the status bar item: the extension is running.
    await statusBarItem(page).waitFor({ timeout: 30_000 });
    return { env: { fake, relay, editor, page, workDir, consoleLines }, browser };
  } catch (error: unknown) {
    for (const stop of cleanup.reverse()) await stop().catch(() => undefined);
    throw error;
  }
}

/**
 * Registers `before`/`after` hooks for the enclosing `describe` and returns accessors for the
 * environment they build. Teardown always runs, even when a scenario failed halfway.
 */
export function useEnvironment(options: EnvironmentOptions): () => Environment {
  let current: { env: Environment; browser: Browser } | undefined;
  const consoleLines: string[] = [];
  before(async () => {
    current = await start(options, consoleLines);
  }, { timeout: 180_000 });
  after(async () => {
    if (current === undefined) return;
    const { env, browser } = current;
    await browser.close().catch(() => undefined);
    await env.editor.stop().catch(() => undefined);
    await env.relay.stop().catch(() => undefined);
    await env.fake.stop().catch(() => undefined);
    if (process.env.KEEP !== '1') fs.rmSync(env.workDir, { recursive: true, force: true });
  }, { timeout: 60_000 });
  return () => {
    if (current === undefined) throw new Error(`the ${options.name} environment did not start`);
    return current.env;
  };
}

/**
 * A scenario: one `it` with a deadline that, on failure, saves a screenshot, the page console and the
 * process logs to test-results/e2e/<file>-<scenario>/ before reporting the error.
 */
export function scenario(environment: () => Environment, name: string, body: (env: Environment) => Promise<void>, timeoutMs = 90_000): void {
  it(name, { timeout: timeoutMs }, async () => {
    const env = environment();
    try {
      await body(env);
    } catch (error: unknown) {
      await saveFailureArtifacts(env, name).catch(() => undefined);
      throw error;
    }
  });
}

async function saveFailureArtifacts(env: Environment, name: string): Promise<void> {
  const dir = path.join(resultsDir, `${path.basename(env.workDir)}-${name.replace(/[^\w-]+/g, '-').slice(0, 60)}`);
  fs.mkdirSync(dir, { recursive: true });
  await env.page.screenshot({ path: path.join(dir, 'screen.png'), timeout: 10_000 });
  fs.writeFileSync(path.join(dir, 'console.log'), env.consoleLines.join('\n'));
  for (const file of fs.readdirSync(env.workDir)) {
    if (file.endsWith('.log')) fs.copyFileSync(path.join(env.workDir, file), path.join(dir, file));
  }
  for (const file of findLogFiles(env.editor.userDataDir, /(remoteexthost\.log|-AIDE\.log)$/)) {
    fs.copyFileSync(file, path.join(dir, path.basename(file)));
  }
  console.error(`failure artifacts: ${dir}`);
}

/** Waits until the fake has no generation running (nothing left streaming for nobody). */
export async function waitForIdleFake(env: Environment, timeoutMs = 10_000): Promise<void> {
  await waitUntil(async () => (await env.fake.summary()).stats.activeGenerations === 0, { what: 'the fake to finish every generation', timeoutMs });
}
