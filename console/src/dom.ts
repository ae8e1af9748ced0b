// Tiny DOM helpers. Text always goes in through textContent / text nodes, never HTML: every string shown here
// (queue names, message bodies, event payloads) comes from whoever sends messages.

export type Child = Node | string | number | null | undefined | false;
type Listener = (event: Event) => void;
export type Props = Record<string, string | number | boolean | Listener | null | undefined>;

/**
 * Creates an element. Props named `on…` become listeners; `class`, `testid` (data-testid), `aria-*`, `data-*` and
 * `role` become attributes; anything else is set as a property (value, checked, disabled, type, htmlFor…).
 */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Props | null = null,
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (props) setProps(el, props);
  append(el, ...children);
  return el;
}

export function setProps(el: HTMLElement, props: Props): void {
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null) continue;
    if (typeof value === 'function') {
      el.addEventListener(key.slice(2), value);
    } else if (key === 'class') {
      el.className = String(value);
    } else if (key === 'testid') {
      el.dataset.testid = String(value);
    } else if (key.startsWith('aria-') || key.startsWith('data-') || key === 'role' || key === 'for') {
      el.setAttribute(key, String(value));
    } else {
      (el as unknown as Record<string, unknown>)[key] = value;
    }
  }
}

export function append(parent: Node, ...children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    parent.appendChild(typeof child === 'object' ? child : document.createTextNode(String(child)));
  }
}

export function clear(el: Node): void {
  while (el.firstChild) el.removeChild(el.firstChild);
}

export function replaceChildren(el: Node, ...children: Child[]): void {
  clear(el);
  append(el, ...children);
}

/** Sets text only when it changed, so a poll does not disturb a selection or a screen reader. */
export function setText(el: Node, text: string): void {
  if (el.textContent !== text) el.textContent = text;
}

export function link(href: string, text: string, props: Props = {}): HTMLAnchorElement {
  return h('a', { href, ...props }, text);
}

export function queueHref(name: string): string {
  return `#/queues/${encodeURIComponent(name)}`;
}
export function traceHref(eventId: string): string {
  return `#/trace/${encodeURIComponent(eventId)}`;
}
export function alarmHref(name: string): string {
  return `#/alarms/${encodeURIComponent(name)}`;
}

/** A table in a horizontally scrolling wrapper (narrow windows), with a caption for screen readers. */
export function table(caption: string, headers: string[], body: HTMLTableSectionElement | null, props: Props = {}) {
  const t = h(
    'table',
    props,
    h('caption', { class: 'visually-hidden' }, caption),
    h('thead', null, h('tr', null, ...headers.map((text) => h('th', { scope: 'col' }, text)))),
    body,
  );
  return h('div', { class: 'table-wrap', tabindex: 0, role: 'region', 'aria-label': caption }, t);
}

/**
 * Rows (or any children) kept by key across polls: an item seen before keeps its element and is updated in place,
 * so focus, open details and checkboxes survive a refresh. The list owns the children of `parent` that come after
 * `after` (all of them without it), plus a placeholder shown when the list is empty.
 */
export class KeyedList<T, E extends HTMLElement = HTMLElement> {
  private readonly items = new Map<string, { el: E; update: (item: T) => void }>();
  private placeholder: HTMLElement | undefined;

  constructor(
    readonly parent: HTMLElement,
    private readonly key: (item: T) => string,
    private readonly create: (item: T) => { el: E; update: (item: T) => void },
    private readonly empty?: () => HTMLElement,
    private readonly after?: Node,
  ) {}

  set(list: T[]): void {
    const seen = new Set<string>();
    let previous: Node | null = this.after ?? null;
    for (const item of list) {
      const k = this.key(item);
      seen.add(k);
      let entry = this.items.get(k);
      if (!entry) {
        entry = this.create(item);
        this.items.set(k, entry);
      }
      entry.update(item);
      const expected: ChildNode | null = previous ? previous.nextSibling : this.parent.firstChild;
      if (expected !== entry.el) this.parent.insertBefore(entry.el, expected);
      previous = entry.el;
    }
    for (const [k, entry] of this.items) {
      if (!seen.has(k)) {
        entry.el.remove();
        this.items.delete(k);
      }
    }
    if (list.length === 0 && this.empty) {
      this.placeholder ??= this.empty();
      if (!this.placeholder.isConnected) this.parent.appendChild(this.placeholder);
    } else {
      this.placeholder?.remove();
    }
  }
}

/** A <dialog> asking to confirm; resolves true only on the confirm button. Focus goes back where it was. */
export function confirmDialog(options: {
  title: string;
  message: Child;
  confirmLabel: string;
  danger?: boolean;
  /** When set, the confirm button only works once this exact text is typed. */
  typeToConfirm?: string;
}): Promise<boolean> {
  return new Promise((resolve) => {
    const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    const titleId = `dlg-${Math.random().toString(36).slice(2)}`;
    const input = options.typeToConfirm
      ? h('input', { type: 'text', autocomplete: 'off', spellcheck: false, testid: 'confirm-input' })
      : null;
    const confirm = h(
      'button',
      { type: 'submit', value: 'confirm', class: options.danger ? 'danger' : 'primary', testid: 'confirm-button' },
      options.confirmLabel,
    );
    const form = h(
      'form',
      { method: 'dialog' },
      h('h2', { id: titleId }, options.title),
      h('div', { class: 'dialog-body' }, options.message),
      input &&
        h(
          'label',
          { class: 'field' },
          h('span', null, 'Type ', h('code', null, options.typeToConfirm ?? ''), ' to confirm'),
          input,
        ),
      h('div', { class: 'actions' }, h('button', { type: 'submit', value: 'cancel' }, 'Cancel'), confirm),
    );
    const dialog = h('dialog', { 'aria-labelledby': titleId }, form);
    if (input) {
      const sync = () => {
        confirm.disabled = input.value !== options.typeToConfirm;
      };
      input.addEventListener('input', sync);
      sync();
    }
    dialog.addEventListener('close', () => {
      dialog.remove();
      opener?.focus();
      resolve(dialog.returnValue === 'confirm');
    });
    document.body.appendChild(dialog);
    dialog.showModal();
    (input ?? confirm).focus();
  });
}
