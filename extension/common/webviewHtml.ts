/**
 * The HTML document of the chat webview. Pure (Web-standard globals only) so the extension host, the
 * browser test suite and Node all render the very same page, with the very same Content-Security-Policy.
 *
 * The policy is the tightest that lets the bundle run: one script by per-render nonce, styles, fonts and
 * images only from the webview's own resource origin, and no `connect-src` at all, because the webview
 * never talks to the network: every request goes through the extension host, which alone holds the token.
 */

export interface ChatHtmlOptions {
  /** `webview.cspSource`, e.g. `https://*.vscode-cdn.net`. */
  cspSource: string;
  /** A fresh value from `createNonce()` for every render. */
  nonce: string;
  /** `webview.asWebviewUri(dist/webview/chat.js)`, as a string. */
  scriptUri: string;
  /** `webview.asWebviewUri(dist/webview/chat.css)`, as a string. */
  styleUri: string;
}

/** 128 random bits, base64: the CSP nonce for one render of the webview. */
export function createNonce(): string {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

// A nonce is a CSP base64-value; anything else would let a caller rewrite the policy.
const NONCE_PATTERN = /^[A-Za-z0-9+/_-]{16,}={0,2}$/;
// `webview.cspSource` is a space-separated list of source expressions: host sources, or the quoted
// keyword 'self' (code-server gives "'self' https://*.vscode-cdn.net"). Nothing that could end the
// directive or inject another one (`;`, `,`, other quotes, markup) is accepted.
const CSP_SOURCE = `(?:'self'|[^\\s;,'"<>]+)`;
const CSP_SOURCE_PATTERN = new RegExp(`^${CSP_SOURCE}(?: ${CSP_SOURCE})*$`);

export function renderChatHtml(options: ChatHtmlOptions): string {
  const { cspSource, nonce, scriptUri, styleUri } = options;
  if (!NONCE_PATTERN.test(nonce)) throw new Error('renderChatHtml: the nonce must be a base64 value of at least 16 characters');
  if (!CSP_SOURCE_PATTERN.test(cspSource)) throw new Error('renderChatHtml: cspSource must be a list of CSP source expressions');

  const csp = [
    `default-src 'none'`,
    `script-src 'nonce-${nonce}'`,
    `style-src ${cspSource}`,
    `font-src ${cspSource}`,
    `img-src ${cspSource} data:`,
  ].join('; ');

  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${escapeAttribute(csp)}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${escapeAttribute(styleUri)}">
<title>AIDE Chat</title>
</head>
<body>
<header class="toolbar">
  <select id="model" aria-label="Chat model" title="Chat model"></select>
  <button id="refresh-models" class="icon-button" type="button" aria-label="Refresh models" title="Refresh models">${ICON_REFRESH}</button>
  <span class="spacer"></span>
  <button id="history" class="icon-button" type="button" aria-label="Chat history" title="Chat history" aria-expanded="false" aria-controls="history-list">${ICON_HISTORY}</button>
  <button id="new-chat" class="icon-button" type="button" aria-label="New chat" title="New chat">${ICON_NEW}</button>
</header>
<nav id="history-list" aria-label="Saved conversations" hidden></nav>
<main id="messages" role="log" aria-live="polite" aria-relevant="additions text" aria-label="Conversation"></main>
<footer class="composer">
  <div id="chips" role="group" aria-label="Context to include"></div>
  <textarea id="prompt" rows="2" maxlength="200000" aria-label="Message" placeholder="Ask about your code. Enter to send, Shift+Enter for a new line."></textarea>
  <div class="composer-actions">
    <button id="stop" class="secondary" type="button" aria-label="Stop generating" hidden>Stop</button>
    <button id="send" type="button" aria-label="Send message">Send</button>
  </div>
</footer>
<script nonce="${escapeAttribute(nonce)}" src="${escapeAttribute(scriptUri)}"></script>
</body>
</html>
`;
}

function escapeAttribute(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

// Inline SVG is markup, not script or style, so the policy above allows it; `currentColor` follows the theme.
const svg = (path: string): string =>
  `<svg viewBox="0 0 16 16" width="16" height="16" aria-hidden="true" focusable="false"><path fill="currentColor" d="${path}"/></svg>`;
const ICON_NEW = svg('M7.5 2h1v5.5H14v1H8.5V14h-1V8.5H2v-1h5.5z');
const ICON_HISTORY = svg(
  'M8 2a6 6 0 1 1-5.66 8h1.07A5 5 0 1 0 3.5 5.5H6v1H2V2.5h1v2.3A6 6 0 0 1 8 2zm-.5 3h1v2.8l2.1 2.1-.7.7-2.4-2.4z',
);
const ICON_REFRESH = svg(
  'M13.45 5.17A6 6 0 1 0 14 8h-1a5 5 0 1 1-.43-2.03L10.5 6v1H14V3.5h-1v1.9z',
);
