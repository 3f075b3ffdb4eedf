/**
 * The input area: Enter sends, Shift+Enter inserts a newline (the textarea's own behaviour), and while an
 * answer is being generated Send gives way to Stop.
 */
export interface ComposerElements {
  prompt: HTMLTextAreaElement;
  send: HTMLButtonElement;
  stop: HTMLButtonElement;
}

export interface ComposerActions {
  send(text: string): void;
  stop(): void;
  draftChanged(): void;
}

export class Composer {
  constructor(
    private readonly elements: ComposerElements,
    private readonly actions: ComposerActions,
  ) {
    const { prompt, send, stop } = elements;
    prompt.addEventListener('keydown', (event) => {
      // isComposing: Enter that confirms an IME composition (Japanese, Chinese, …) is not a send.
      if (event.key !== 'Enter' || event.shiftKey || event.isComposing) return;
      event.preventDefault();
      this.submit();
    });
    prompt.addEventListener('input', () => {
      this.updateSendState();
      actions.draftChanged();
    });
    send.addEventListener('click', () => this.submit());
    stop.addEventListener('click', () => actions.stop());
    this.updateSendState();
  }

  get draft(): string {
    return this.elements.prompt.value;
  }

  set draft(text: string) {
    this.elements.prompt.value = text;
    this.updateSendState();
  }

  setBusy(busy: boolean): void {
    const { stop, send, prompt } = this.elements;
    const stopHadFocus = document.activeElement === stop;
    stop.hidden = !busy;
    send.hidden = busy;
    prompt.setAttribute('aria-busy', String(busy));
    if (!busy && stopHadFocus) prompt.focus();
    this.updateSendState();
  }

  focus(): void {
    this.elements.prompt.focus();
  }

  private get busy(): boolean {
    return !this.elements.stop.hidden;
  }

  private submit(): void {
    const text = this.elements.prompt.value;
    if (this.busy || text.trim() === '') return;
    this.actions.send(text);
    this.elements.prompt.value = '';
    this.updateSendState();
    this.actions.draftChanged();
  }

  private updateSendState(): void {
    this.elements.send.disabled = this.busy || this.elements.prompt.value.trim() === '';
  }
}
