/** The saved-conversations panel behind the history button: open one, or delete it. */
import type { ChatSessionSummary } from '../../extension/common/protocol';
import { element } from './dom';

export interface HistoryActions {
  open(sessionId: string): void;
  remove(sessionId: string): void;
}

const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

export class HistoryList {
  private sessions: ChatSessionSummary[] = [];
  private currentId = '';

  constructor(
    private readonly toggle: HTMLButtonElement,
    private readonly panel: HTMLElement,
    actions: HistoryActions,
  ) {
    toggle.addEventListener('click', () => this.setOpen(panel.hidden));
    panel.addEventListener('click', (event) => {
      const button = event.target instanceof Element ? event.target.closest('button[data-session-id]') : null;
      const sessionId = button?.getAttribute('data-session-id');
      if (!button || !sessionId) return;
      if (button.getAttribute('data-action') === 'delete') {
        actions.remove(sessionId);
      } else {
        this.setOpen(false);
        actions.open(sessionId);
      }
    });
  }

  get isOpen(): boolean {
    return !this.panel.hidden;
  }

  setOpen(open: boolean): void {
    this.panel.hidden = !open;
    this.toggle.setAttribute('aria-expanded', String(open));
    if (open) this.render();
  }

  setSessions(sessions: ChatSessionSummary[]): void {
    this.sessions = [...sessions].sort((a, b) => b.updatedAt - a.updatedAt);
    this.render();
  }

  setCurrent(sessionId: string): void {
    this.currentId = sessionId;
    this.render();
  }

  private render(): void {
    if (this.sessions.length === 0) {
      this.panel.replaceChildren(element('p', { className: 'history-empty', text: 'No saved conversations yet.' }));
      return;
    }
    const items = this.sessions.map((session) => {
      const title = session.title.trim() || 'Untitled conversation';
      const open = element('button', { className: 'history-open', attributes: { type: 'button', 'data-session-id': session.id } }, [
        element('span', { className: 'history-title', text: title }),
        element('span', { className: 'history-date', text: dateFormat.format(session.updatedAt) }),
      ]);
      const remove = element('button', {
        className: 'icon-button history-delete',
        text: '×',
        attributes: { type: 'button', 'data-action': 'delete', 'data-session-id': session.id, 'aria-label': `Delete conversation: ${title}`, title: 'Delete' },
      });
      const item = element('li', { className: 'history-item' }, [open, remove]);
      if (session.id === this.currentId) item.setAttribute('aria-current', 'true');
      return item;
    });
    this.panel.replaceChildren(element('ul', {}, items));
  }
}
