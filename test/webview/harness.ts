/**
 * Runs the real chat bundle in a real Chromium: the page is the HTML the extension host renders (so the
 * Content-Security-Policy is the shipped one), served with dist/webview from a loopback server, and
 * `acquireVsCodeApi` is a fake host that records what the view posts and keeps its state like VS Code does
 * (across reloads of the same view).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import type { HostMessage, WebviewMessage } from '../../extension/common/protocol';
import { createNonce, renderChatHtml } from '../../extension/common/webviewHtml';

const ROOT = resolve(__dirname, '../..');
const DIST = join(ROOT, 'dist/webview');
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const LAUNCH_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'];
export const WAIT_MS = 5_000;

export interface PostedRecord {
  posted: WebviewMessage[];
  /** How many times the view called `setState`. */
  saves: number;
  violations: { directive: string; blocked: string }[];
}

declare global {
  interface Window {
    __aideHost: PostedRecord;
    /** Set only if hostile model output managed to run script. */
    __pwned?: boolean;
    __inlineRan?: boolean;
  }
}

// Plain JavaScript on purpose: it runs in the page before any of its scripts, and a string keeps the
// TypeScript toolchain from adding helpers the page would not have.
const FAKE_HOST_SCRIPT = `(() => {
  // Keyed by the page's query, so each test (a new ?run=) starts without state and a reload keeps it.
  const STATE_KEY = 'aide-webview-state' + location.search;
  const record = { posted: [], saves: 0, violations: [] };
  window.__aideHost = record;
  document.addEventListener('securitypolicyviolation', (event) => {
    record.violations.push({ directive: event.violatedDirective, blocked: String(event.blockedURI) });
  });
  let acquired = false;
  window.acquireVsCodeApi = () => {
    if (acquired) throw new Error('An instance of the VS Code API has already been acquired');
    acquired = true;
    return Object.freeze({
      postMessage: (message) => { record.posted.push(structuredClone(message)); },
      getState: () => {
        const saved = sessionStorage.getItem(STATE_KEY);
        return saved === null ? undefined : JSON.parse(saved);
      },
      setState: (state) => { record.saves += 1; sessionStorage.setItem(STATE_KEY, JSON.stringify(state)); return state; },
    });
  };
})();`;

/** Builds dist/webview once per run, whichever test file asks first. */
let built = false;
export function buildWebviewBundle(): void {
  if (built) return;
  execFileSync(process.execPath, ['esbuild.mjs', 'webview'], { cwd: ROOT, stdio: 'inherit' });
  built = true;
}

const CONTENT_TYPES: Record<string, string> = {
  '/chat.js': 'text/javascript; charset=utf-8',
  '/chat.css': 'text/css; charset=utf-8',
  '/chat.js.map': 'application/json',
  '/chat.css.map': 'application/json',
};

export interface ChatServer {
  url: string;
  close(): Promise<void>;
}

export async function startChatServer(): Promise<ChatServer> {
  let origin = '';
  const server: Server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', origin).pathname;
    if (path === '/') {
      const html = renderChatHtml({ cspSource: origin, nonce: createNonce(), scriptUri: `${origin}/chat.js`, styleUri: `${origin}/chat.css` });
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
      response.end(html);
      return;
    }
    const type = CONTENT_TYPES[path];
    if (!type) {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { 'content-type': type, 'cache-control': 'no-store' });
    response.end(readFileSync(join(DIST, path.slice(1))));
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('chat test server has no TCP address');
  origin = `http://127.0.0.1:${address.port}`;
  return {
    url: `${origin}/`,
    close: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}

/**
 * Launches Debian's Chromium. When it is missing the suite is skipped with the install hint, except in
 * CI, where a missing browser must fail the run rather than pass it silently.
 */
export async function launchChromium(context: Mocha.Context): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    const hint = `Chromium not found at ${CHROMIUM_PATH}: install it with \`apt-get install -y chromium\` (or set CHROMIUM_PATH).`;
    if (process.env.CI) throw new Error(`webview suite needs a browser. ${hint}`);
    console.warn(`  skipping the webview browser suite. ${hint}`);
    context.skip();
  }
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: LAUNCH_ARGS });
}

/** One chat view in its own browser context, with the fake host installed. */
export class ChatPage {
  private run = 0;

  private constructor(
    readonly context: BrowserContext,
    readonly page: Page,
    private readonly url: string,
  ) {}

  static async open(browser: Browser, server: ChatServer): Promise<ChatPage> {
    const context = await browser.newContext({ viewport: { width: 420, height: 800 } });
    const page = await context.newPage();
    await page.addInitScript({ content: FAKE_HOST_SCRIPT });
    return new ChatPage(context, page, server.url);
  }

  /** Loads the page and waits until the bundle said `ready`. */
  async load(): Promise<void> {
    await this.page.goto(`${this.url}?run=${this.run}`);
    await this.waitForPosted('ready');
  }

  /** A fresh view: no saved state, nothing posted but the new `ready`. */
  async startOver(): Promise<void> {
    this.run += 1;
    await this.load();
  }

  /** The state the view last saved through `vscode.setState`, as JSON text ('' when none). */
  savedState(): Promise<string> {
    return this.page.evaluate(() => sessionStorage.getItem('aide-webview-state' + location.search) ?? '');
  }

  async reload(): Promise<void> {
    await this.page.reload();
    await this.waitForPosted('ready');
  }

  close(): Promise<void> {
    return this.context.close();
  }

  /** Delivers host messages the way VS Code does: as `message` events on the webview's window. */
  async host(...messages: HostMessage[]): Promise<void> {
    await this.page.evaluate((list) => {
      for (const message of list) window.postMessage(message, '*');
    }, messages);
  }

  /** Same as `host`, for values that are deliberately not protocol messages. */
  async hostRaw(...messages: unknown[]): Promise<void> {
    await this.page.evaluate((list) => {
      for (const message of list) window.postMessage(message, '*');
    }, messages);
  }

  posted(): Promise<WebviewMessage[]> {
    return this.page.evaluate(() => window.__aideHost.posted);
  }

  violations(): Promise<PostedRecord['violations']> {
    return this.page.evaluate(() => window.__aideHost.violations);
  }

  async clearPosted(): Promise<void> {
    await this.page.evaluate(() => {
      window.__aideHost.posted.length = 0;
    });
  }

  /** Waits until the view has posted a message of `type` and returns the latest such message. */
  async waitForPosted<T extends WebviewMessage['type']>(type: T): Promise<Extract<WebviewMessage, { type: T }>> {
    await this.page.waitForFunction((wanted) => window.__aideHost.posted.some((m) => m.type === wanted), type, { timeout: WAIT_MS });
    const all = await this.posted();
    const matching = all.filter((m): m is Extract<WebviewMessage, { type: T }> => m.type === type);
    const last = matching[matching.length - 1];
    if (!last) throw new Error(`no ${type} message`);
    return last;
  }

  async postedOfType<T extends WebviewMessage['type']>(type: T): Promise<Extract<WebviewMessage, { type: T }>[]> {
    return (await this.posted()).filter((m): m is Extract<WebviewMessage, { type: T }> => m.type === type);
  }

  /** Waits until `selector`'s text contains `text`. */
  async waitForText(selector: string, text: string): Promise<void> {
    await this.page.waitForFunction(
      ([sel, wanted]) => Array.from(document.querySelectorAll(sel)).some((node) => (node.textContent ?? '').includes(wanted)),
      [selector, text] as const,
      { timeout: WAIT_MS },
    );
  }

  /** Lets every queued task and two animation frames run, so pending renders have happened. */
  async settle(): Promise<void> {
    await this.page.evaluate(
      () =>
        new Promise<void>((done) => {
          setTimeout(() => requestAnimationFrame(() => requestAnimationFrame(() => done())), 0);
        }),
    );
  }
}

/**
 * Registers the hooks of a browser test file: build the bundle, start the server, launch the browser and
 * open one chat page; before each test the page starts over with no saved state and an empty record.
 */
export function useChatPage(): () => ChatPage {
  let browser: Browser | undefined;
  let server: ChatServer | undefined;
  let chat: ChatPage | undefined;
  before(async function () {
    this.timeout(60_000);
    browser = await launchChromium(this);
    buildWebviewBundle();
    server = await startChatServer();
    chat = await ChatPage.open(browser, server);
  });
  beforeEach(async () => {
    await chat?.startOver();
  });
  after(async () => {
    await chat?.close();
    await browser?.close();
    await server?.close();
  });
  return () => {
    if (!chat) throw new Error('chat page not open');
    return chat;
  };
}
