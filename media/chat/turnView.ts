/**
 * The DOM of one turn. The body is re-rendered from the turn's text (assistant turns as sanitised
 * markdown, user turns as plain text); the loading, error and stats lines follow the turn's state.
 */
import { element } from './dom';
import { formatStats } from './stats';
import { StreamingMarkdown } from './streamingMarkdown';
import type { TurnState } from './turn';

export class TurnView {
  readonly element: HTMLElement;
  private readonly body: HTMLElement;
  private readonly markdown: StreamingMarkdown | undefined;
  private loading: HTMLElement | undefined;
  private error: HTMLElement | undefined;
  private stats: HTMLElement | undefined;

  constructor(readonly turn: TurnState) {
    const isUser = turn.role === 'user';
    const meta = element('div', { className: 'meta' }, [element('span', { className: 'role', text: isUser ? 'You' : 'AIDE' })]);
    if (!isUser && turn.model) meta.append(element('span', { className: 'model', text: turn.model }));
    this.body = element('div', { className: 'body' });
    this.element = element('article', { className: `turn ${turn.role}` }, [meta, this.body]);
    if (!isUser && turn.requestId) this.element.dataset.requestId = turn.requestId;
    if (isUser) {
      this.body.textContent = turn.label ?? turn.content;
      if (turn.label) this.body.title = turn.content.slice(0, 2000);
    } else {
      this.markdown = new StreamingMarkdown(this.body);
      if (turn.phase) this.renderBody();
      else this.finishBody();
    }
    this.renderStatus();
  }

  /** Renders the answer text received so far (cheap: only its last block is re-rendered). */
  renderBody(): void {
    this.markdown?.update(this.turn.content);
  }

  /** Renders the complete answer text. */
  finishBody(): void {
    this.markdown?.finish(this.turn.content);
  }

  renderStatus(): void {
    const { phase, error, stats, stopped, retryable } = this.turn;
    if (phase) this.element.dataset.phase = phase;
    else delete this.element.dataset.phase;
    // Screen readers announce the finished answer once instead of every streamed token.
    this.element.setAttribute('aria-busy', phase ? 'true' : 'false');

    this.loading = this.slot(this.loading, phase === 'loading', () =>
      element('div', { className: 'loading', text: 'Loading model…', attributes: { role: 'status' } }),
    );

    this.error?.remove();
    this.error = undefined;
    if (error !== undefined) {
      const actions = [element('button', { text: 'Show logs', className: 'secondary', attributes: { type: 'button', 'data-action': 'logs' } })];
      if (retryable && this.turn.requestId) {
        actions.unshift(element('button', { text: 'Retry', attributes: { type: 'button', 'data-action': 'retry', 'aria-label': 'Retry this request' } }));
      }
      this.error = element('div', { className: 'error', attributes: { role: 'alert' } }, [
        element('span', { className: 'error-message', text: error }),
        element('span', { className: 'error-actions' }, actions),
      ]);
      this.element.append(this.error);
    }

    const figures = this.turn.role === 'assistant' && !phase && (stats || stopped) ? formatStats(stats ?? {}, stopped === true) : '';
    this.stats?.remove();
    this.stats = figures ? element('div', { className: 'stats', text: figures, attributes: { title: figures } }) : undefined;
    if (this.stats) this.element.append(this.stats);
  }

  private slot(current: HTMLElement | undefined, wanted: boolean, create: () => HTMLElement): HTMLElement | undefined {
    if (wanted === (current !== undefined)) return current;
    if (current) {
      current.remove();
      return undefined;
    }
    const created = create();
    this.body.after(created);
    return created;
  }
}
