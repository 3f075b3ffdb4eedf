/**
 * Element construction without HTML strings: text only ever goes in through `textContent`, so nothing
 * built here can be parsed as markup.
 */
export interface ElementProps {
  className?: string;
  text?: string;
  attributes?: Record<string, string>;
}

export function element<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: ElementProps = {},
  children: Node[] = [],
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (props.className) node.className = props.className;
  if (props.text !== undefined) node.textContent = props.text;
  for (const [name, value] of Object.entries(props.attributes ?? {})) node.setAttribute(name, value);
  node.append(...children);
  return node;
}

/** Looks up a node of the static page skeleton; a missing one is a packaging bug worth failing loudly on. */
export function required<T extends HTMLElement>(id: string, type: new () => T): T {
  const node = document.getElementById(id);
  if (!(node instanceof type)) throw new Error(`chat view: #${id} is missing from the page`);
  return node;
}

/**
 * Makes `target`'s children from index `from` on equal to `next`'s children, keeping every leading one
 * that is already identical (while a block streams, most of its earlier nodes are).
 */
export function patchChildrenFrom(target: Element, from: number, next: DocumentFragment): void {
  const current = Array.from(target.childNodes).slice(from);
  const incoming = Array.from(next.childNodes);
  let index = 0;
  while (index < current.length && index < incoming.length && current[index]?.isEqualNode(incoming[index] ?? null)) index++;
  for (const stale of current.slice(index)) stale.remove();
  target.append(...incoming.slice(index));
}
