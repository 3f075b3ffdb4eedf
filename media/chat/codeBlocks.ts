/**
 * The Copy / Insert / Apply bar on every rendered code block. The buttons are created as DOM nodes after
 * sanitising (the sanitiser forbids buttons in model output), and the code they send is read back from the
 * block's text, which is exactly the code the model wrote.
 */
import { element } from './dom';

export type CodeAction = 'copy' | 'insert' | 'apply';

const ACTIONS: ReadonlyArray<{ action: CodeAction; text: string; label: string }> = [
  { action: 'copy', text: 'Copy', label: 'Copy code' },
  { action: 'insert', text: 'Insert', label: 'Insert code at cursor' },
  { action: 'apply', text: 'Apply', label: 'Apply code to selection' },
];

export function isCodeAction(value: string | undefined): value is CodeAction {
  return value === 'copy' || value === 'insert' || value === 'apply';
}

export function decorateCodeBlocks(root: DocumentFragment | Element): void {
  for (const pre of root.querySelectorAll('pre.code-block')) {
    const language = pre.getAttribute('data-language') ?? '';
    const bar = element('div', { className: 'code-actions' }, [
      element('span', { className: 'code-language', text: language }),
      ...ACTIONS.map(({ action, text, label }) =>
        element('button', { text, attributes: { type: 'button', 'data-action': action, 'aria-label': label, title: label } }),
      ),
    ]);
    pre.prepend(bar);
  }
}

/** The raw code of the block that contains `button`, or undefined when it is not in a code block. */
export function codeForButton(button: Element): string | undefined {
  const code = button.closest('pre.code-block')?.querySelector(':scope > code');
  return code?.textContent ?? undefined;
}
