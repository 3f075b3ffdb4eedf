/**
 * Model output → safe DOM. markdown-it runs with `html: false`, so raw HTML in an answer is shown as text;
 * DOMPurify then sanitises the generated HTML anyway, because the model's output is hostile input and a
 * renderer bug must not become script execution.
 */
import DOMPurify from 'dompurify';
import MarkdownIt from 'markdown-it';
import { escapeHtml, highlightCode } from './highlight';

const md = new MarkdownIt({ html: false, linkify: true, typographer: false });
// Remote images would be blocked by the CSP anyway; rendering them as text avoids broken-image boxes and
// makes clear that the view loads nothing from the network.
md.disable('image');

/** What follows the fence, e.g. "ts" in ```ts title="x"; restricted to a safe class-name alphabet. */
function fenceLanguage(info: string): string {
  const first = info.trim().split(/\s+/)[0] ?? '';
  return /^[\w+#.-]{1,40}$/.test(first) ? first.toLowerCase() : '';
}

/** markdown-it's parse and render environment; `references` collects `[label]: url` definitions. */
export interface MarkdownEnv {
  references?: Record<string, unknown>;
}

/** The code a fenced or indented block shows: its content without the newline that ends the last line. */
export function blockCode(content: string): string {
  return content.endsWith('\n') ? content.slice(0, -1) : content;
}

function codeBlockHtml(content: string, language: string): string {
  const languageClass = language ? ` language-${language}` : '';
  const languageAttribute = language ? ` data-language="${escapeHtml(language)}"` : '';
  return `<pre class="code-block"${languageAttribute}><code class="hljs${languageClass}">${highlightCode(blockCode(content), language)}</code></pre>\n`;
}

md.renderer.rules.fence = (tokens, index) => {
  const token = tokens[index];
  return token ? codeBlockHtml(token.content, fenceLanguage(token.info)) : '';
};
md.renderer.rules.code_block = (tokens, index) => {
  const token = tokens[index];
  return token ? codeBlockHtml(token.content, '') : '';
};

// Table alignment arrives as a `style` attribute, which the CSP (no 'unsafe-inline') would refuse and
// report; a class does the same job.
md.core.ruler.push('alignment_classes', (state) => {
  for (const token of state.tokens) {
    if (token.type === 'th_open' || token.type === 'td_open') {
      const style = token.attrGet('style');
      const match = style ? /^text-align:(left|center|right)$/.exec(style) : null;
      if (style !== null) token.attrs = (token.attrs ?? []).filter(([name]) => name !== 'style');
      if (match) token.attrJoin('class', `align-${match[1]}`);
    }
  }
  return true;
});

// Defence in depth: markdown-it emits none of these, so anything forbidden here can only come from a bug.
const SANITIZE_CONFIG = {
  RETURN_DOM_FRAGMENT: true as const,
  FORBID_TAGS: ['style', 'form', 'input', 'button', 'textarea', 'select', 'iframe', 'object', 'embed', 'img', 'svg', 'math'],
  FORBID_ATTR: ['style', 'id', 'name'],
  ALLOW_DATA_ATTR: false,
  ADD_ATTR: ['data-language'],
};

export type MarkdownTokens = ReturnType<typeof md.parse>;

export function parseMarkdown(markdown: string, env: MarkdownEnv): MarkdownTokens {
  return md.parse(markdown, env);
}

/** Renders parsed block tokens to a sanitised fragment owned by the current document. */
export function renderTokens(tokens: MarkdownTokens, env: MarkdownEnv): DocumentFragment {
  return DOMPurify.sanitize(md.renderer.render(tokens, md.options, env), SANITIZE_CONFIG);
}
