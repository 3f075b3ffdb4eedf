/**
 * The chips above the input that say what context goes with the next question (the editor selection,
 * the current file). Clicking a chip leaves that context out (`.off`); the choice survives context updates.
 */
import type { ContextInfo } from '../../extension/common/protocol';
import { element } from './dom';

export type ContextKind = 'selection' | 'file';

export class ContextChips {
  private context: ContextInfo = {};
  private readonly excluded = new Set<ContextKind>();

  constructor(
    private readonly container: HTMLElement,
    private readonly onChange: () => void,
  ) {
    container.addEventListener('click', (event) => {
      const chip = event.target instanceof Element ? event.target.closest('.chip') : null;
      const kind = chip?.getAttribute('data-kind');
      if (kind !== 'selection' && kind !== 'file') return;
      if (this.excluded.has(kind)) this.excluded.delete(kind);
      else this.excluded.add(kind);
      this.render();
      this.onChange();
    });
  }

  setContext(context: ContextInfo): void {
    this.context = context;
    this.render();
  }

  setExcluded(kinds: { selection: boolean; file: boolean }): void {
    this.excluded.clear();
    if (kinds.selection) this.excluded.add('selection');
    if (kinds.file) this.excluded.add('file');
    this.render();
  }

  get excludedKinds(): { selection: boolean; file: boolean } {
    return { selection: this.excluded.has('selection'), file: this.excluded.has('file') };
  }

  /** Whether the next question carries this context: it exists and the user did not switch it off. */
  uses(kind: ContextKind): boolean {
    return this.context[kind] !== undefined && !this.excluded.has(kind);
  }

  private render(): void {
    const chips: HTMLElement[] = [];
    const { selection, file } = this.context;
    if (selection) {
      const lines = selection.startLine === selection.endLine ? `${selection.startLine}` : `${selection.startLine}-${selection.endLine}`;
      chips.push(this.chip('selection', `Selection ${baseName(selection.file)}:${lines}`, selection.file));
    }
    if (file) chips.push(this.chip('file', `File ${file.name}`, `${file.name} (${file.languageId})`));
    this.container.replaceChildren(...chips);
    this.container.hidden = chips.length === 0;
  }

  private chip(kind: ContextKind, text: string, detail: string): HTMLElement {
    const off = this.excluded.has(kind);
    const action = off ? 'Include' : 'Leave out';
    return element('button', {
      className: off ? 'chip off' : 'chip',
      text,
      attributes: {
        type: 'button',
        'data-kind': kind,
        'aria-pressed': String(!off),
        title: `${detail}. ${action} with the next message.`,
      },
    });
  }
}

function baseName(path: string): string {
  return path.split(/[\\/]/).pop() ?? path;
}
