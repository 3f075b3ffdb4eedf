/**
 * The chat webview view. A thin shell: it renders the page, checks every incoming message against the
 * protocol (the webview is a trust boundary), and hands valid ones to the ChatController. Each time VS
 * Code resolves the view again (it is destroyed when hidden), the previous view's listeners are disposed.
 */
import * as vscode from 'vscode';
import { DisposableStore, type IDisposable } from '../common/lifecycle';
import { parseWebviewMessage } from '../common/protocol';
import { createNonce, renderChatHtml } from '../common/webviewHtml';
import type { ChatController } from './chatController';

export class ChatViewProvider implements vscode.WebviewViewProvider, IDisposable {
  private readonly viewListeners = new DisposableStore();
  private view: vscode.WebviewView | undefined;
  private rejectedMessages = 0;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly controller: ChatController,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  get isVisible(): boolean {
    return this.view?.visible ?? false;
  }

  resolveWebviewView(view: vscode.WebviewView): void {
    this.viewListeners.clear();
    this.view = view;
    const webviewRoot = vscode.Uri.joinPath(this.extensionUri, 'dist', 'webview');
    view.webview.options = {
      enableScripts: true,
      localResourceRoots: [webviewRoot, vscode.Uri.joinPath(this.extensionUri, 'media')],
    };
    try {
      view.webview.html = renderChatHtml({
        cspSource: view.webview.cspSource,
        nonce: createNonce(),
        scriptUri: view.webview.asWebviewUri(vscode.Uri.joinPath(webviewRoot, 'chat.js')).toString(),
        styleUri: view.webview.asWebviewUri(vscode.Uri.joinPath(webviewRoot, 'chat.css')).toString(),
      });
    } catch (error) {
      // Without this the view shows only VS Code's generic "An error occurred while loading view".
      const message = error instanceof Error ? error.message : String(error);
      this.log.error(`Chat view could not be rendered: ${message}`);
      view.webview.html = fallbackHtml(message);
      return;
    }

    // Nothing is posted before the page says `ready`: earlier messages would be lost.
    let ready = false;
    this.viewListeners.add(
      view.webview.onDidReceiveMessage((raw: unknown) => {
        const message = parseWebviewMessage(raw);
        if (!message) {
          this.reject(raw);
          return;
        }
        if (message.type === 'ready' && !ready) {
          ready = true;
          this.viewListeners.add(this.controller.attach((hostMessage) => void view.webview.postMessage(hostMessage)));
        }
        this.controller.handle(message).catch((error: unknown) => {
          this.log.error(`Chat view: handling ${message.type} failed: ${error instanceof Error ? error.message : String(error)}`);
        });
      }),
    );
    this.viewListeners.add(
      view.onDidDispose(() => {
        if (this.view === view) this.view = undefined;
        this.viewListeners.clear();
      }),
    );
  }

  dispose(): void {
    this.viewListeners.dispose();
  }

  /** Logs the first malformed message in full shape and counts the rest, so a broken page cannot flood the log. */
  private reject(raw: unknown): void {
    this.rejectedMessages += 1;
    if (this.rejectedMessages === 1) {
      const type = typeof raw === 'object' && raw !== null && 'type' in raw ? String(raw.type).slice(0, 60) : typeof raw;
      this.log.warn(`Chat view sent a message that is not part of the protocol (type: ${type}); ignoring it and any others like it.`);
    } else if (this.rejectedMessages % 100 === 0) {
      this.log.warn(`Chat view: ${this.rejectedMessages} malformed messages ignored so far.`);
    }
  }
}

/** A static page (no script, nothing loaded) that says why the chat could not start. */
function fallbackHtml(reason: string): string {
  const escaped = reason.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  return `<!DOCTYPE html><html lang="en"><head><meta charset="UTF-8"><meta http-equiv="Content-Security-Policy" content="default-src 'none'"></head>
<body><p>The AIDE chat could not start: ${escaped}</p><p>Run <b>AIDE: Show Logs</b> for details.</p></body></html>`;
}
