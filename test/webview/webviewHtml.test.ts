import assert from 'node:assert/strict';
import { createNonce, renderChatHtml } from '../../extension/common/webviewHtml';

const OPTIONS = {
  cspSource: 'https://*.vscode-cdn.net',
  nonce: 'AAAAAAAAAAAAAAAAAAAAAA==',
  scriptUri: 'https://file%2B.vscode-resource.vscode-cdn.net/ext/dist/webview/chat.js',
  styleUri: 'https://file%2B.vscode-resource.vscode-cdn.net/ext/dist/webview/chat.css',
};

function policyOf(html: string): string {
  const match = /<meta http-equiv="Content-Security-Policy" content="([^"]*)">/.exec(html);
  if (!match?.[1]) throw new Error('no CSP meta tag');
  return match[1].replace(/&#39;|&apos;/g, "'");
}

describe('chat webview page (renderChatHtml)', () => {
  it('sets the tightest policy: nonce script, styles/fonts/images from the webview origin, no network', () => {
    const policy = policyOf(renderChatHtml(OPTIONS));
    assert.equal(
      policy,
      "default-src 'none'; script-src 'nonce-AAAAAAAAAAAAAAAAAAAAAA=='; style-src https://*.vscode-cdn.net; font-src https://*.vscode-cdn.net; img-src https://*.vscode-cdn.net data:",
    );
    assert.doesNotMatch(policy, /unsafe-inline|unsafe-eval|connect-src/);
  });

  it('loads exactly one script, by nonce, and the stylesheet', () => {
    const html = renderChatHtml(OPTIONS);
    const scripts = html.match(/<script[^>]*>/g) ?? [];
    assert.deepEqual(scripts, [`<script nonce="${OPTIONS.nonce}" src="${OPTIONS.scriptUri}">`]);
    assert.match(html, new RegExp(`<link rel="stylesheet" href="${OPTIONS.styleUri.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}">`));
    assert.doesNotMatch(html, /\sstyle=|\son[a-z]+=/i, 'no inline styles or handlers the policy would refuse');
  });

  it('contains the DOM skeleton the view and the tests rely on', () => {
    const html = renderChatHtml(OPTIONS);
    for (const fragment of [
      'id="messages"',
      'aria-live="polite"',
      '<textarea id="prompt"',
      '<button id="send"',
      '<button id="stop"',
      '<button id="new-chat"',
      '<select id="model"',
      '<button id="history"',
      'id="history-list"',
      'id="chips"',
    ]) {
      assert.ok(html.includes(fragment), `missing ${fragment}`);
    }
    assert.match(html, /<button id="stop"[^>]*hidden>/, 'Stop starts hidden');
  });

  it('escapes URIs into attributes', () => {
    const html = renderChatHtml({ ...OPTIONS, scriptUri: 'https://x/a"><script>alert(1)</script>', styleUri: 'https://x/b?c=1&d=2' });
    assert.equal((html.match(/<script/g) ?? []).length, 1);
    assert.ok(html.includes('src="https://x/a&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"'));
    assert.ok(html.includes('href="https://x/b?c=1&amp;d=2"'));
  });

  it('refuses a nonce or CSP source that could rewrite the policy', () => {
    assert.throws(() => renderChatHtml({ ...OPTIONS, nonce: "abc' 'unsafe-inline" }), /nonce/);
    assert.throws(() => renderChatHtml({ ...OPTIONS, nonce: 'short' }), /nonce/);
    assert.throws(() => renderChatHtml({ ...OPTIONS, cspSource: "'self' 'unsafe-inline'" }), /cspSource/);
    assert.throws(() => renderChatHtml({ ...OPTIONS, cspSource: "'self'  https://a" }), /cspSource/);
    assert.throws(() => renderChatHtml({ ...OPTIONS, cspSource: "https://a; script-src 'unsafe-inline'" }), /cspSource/);
  });

  it("accepts code-server's source list (the 'self' keyword and a host source)", () => {
    const html = renderChatHtml({ ...OPTIONS, cspSource: "'self' https://*.vscode-cdn.net" });
    assert.ok(html.includes("style-src 'self' https://*.vscode-cdn.net;"));
  });

  it('createNonce returns a fresh 128-bit base64 value each time', () => {
    const nonces = new Set(Array.from({ length: 200 }, () => createNonce()));
    assert.equal(nonces.size, 200);
    for (const nonce of nonces) {
      assert.match(nonce, /^[A-Za-z0-9+/]{22}==$/);
      assert.equal(Buffer.from(nonce, 'base64').length, 16);
      assert.doesNotThrow(() => renderChatHtml({ ...OPTIONS, nonce }));
    }
  });
});
