/**
 * A tiny DOM builder: every text goes in as a text node (never as HTML), so nothing a device,
 * a file or the server says can inject markup. No inline styles: the CSP forbids them.
 */

export type Child = Node | string | number | null | undefined | false | readonly Child[];

type Handler = (event: Event) => void;

/** Attributes: strings and numbers become attributes, booleans toggle them, `on…` functions listen. */
export type Attrs = Record<string, string | number | boolean | Handler | null | undefined>;

const PROPERTIES = new Set(['value', 'checked', 'disabled', 'selected', 'hidden', 'required', 'multiple', 'readOnly']);

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null) continue;
    if (typeof value === 'function') {
      element.addEventListener(name.slice(2).toLowerCase(), value);
    } else if (PROPERTIES.has(name)) {
      (element as unknown as Record<string, unknown>)[name] = value;
    } else if (typeof value === 'boolean') {
      if (value) element.setAttribute(name, '');
    } else {
      element.setAttribute(name === 'className' ? 'class' : name, String(value));
    }
  }
  append(element, children);
  return element;
}

/** Appends children (nested arrays flattened; null, undefined and false skipped). */
export function append(parent: Node, children: readonly Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(parent, child);
    else if (child instanceof Node) parent.appendChild(child);
    else parent.appendChild(document.createTextNode(String(child)));
  }
}

/** Replaces an element's content. */
export function replace(parent: Element, ...children: Child[]): void {
  parent.replaceChildren();
  append(parent, children);
}

/** A labelled input: `<label for>` + hint + control, as a fragment-like wrapper. */
export function field(label: string, control: HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement, hint?: string): HTMLDivElement {
  if (control.id === '') control.id = uid(label);
  const hintElement = hint === undefined ? null : h('p', { class: 'hint', id: `${control.id}-hint` }, hint);
  if (hintElement !== null) control.setAttribute('aria-describedby', hintElement.id);
  return h('div', { class: 'field' }, h('label', { for: control.id }, label), hintElement, control);
}

/** A checkbox with its label on the right. */
export function checkbox(label: string, attrs: Attrs = {}): { wrapper: HTMLLabelElement; input: HTMLInputElement } {
  const input = h('input', { type: 'checkbox', ...attrs });
  return { wrapper: h('label', { class: 'inline' }, input, label), input };
}

/** `<select>` from `[value, label]` pairs. */
export function select(options: readonly (readonly [string, string])[], attrs: Attrs = {}): HTMLSelectElement {
  return h('select', attrs, options.map(([value, label]) => h('option', { value }, label)));
}

let counter = 0;
/** A unique element id derived from a label. */
export function uid(label: string): string {
  counter += 1;
  return `${label.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '')}-${counter}`;
}

/** An alert box; `role=alert` for errors so screen readers announce them. */
export function alertBox(kind: 'error' | 'ok' | 'warn' | 'info', title: string, ...body: Child[]): HTMLDivElement {
  return h('div', { class: `alert ${kind}`, role: kind === 'error' ? 'alert' : 'status' }, h('strong', {}, title), ...body);
}

/** A `<dl>` of facts; null values show as "—". */
export function facts(rows: readonly (readonly [string, Child])[]): HTMLDListElement {
  return h('dl', { class: 'facts' }, rows.map(([term, value]) => [
    h('dt', {}, term), h('dd', {}, value === null || value === undefined || value === '' ? '—' : value),
  ]));
}

/** A responsive table: headers become cell labels on phones. */
export function table(headers: readonly string[], rows: readonly (readonly Child[])[], rowAttrs?: (index: number) => Attrs): HTMLDivElement {
  return h('div', { class: 'table-wrap' }, h('table', { class: 'responsive' },
    h('thead', {}, h('tr', {}, headers.map((header) => h('th', { scope: 'col' }, header)))),
    h('tbody', {}, rows.map((cells, index) => h('tr', rowAttrs?.(index) ?? {},
      cells.map((cell, column) => h('td', { 'data-label': headers[column] ?? '' }, cell)))))));
}

/** Saves `content` as a file the browser downloads. */
export function download(name: string, type: string, content: BlobPart): void {
  const url = URL.createObjectURL(new Blob([content], { type }));
  const link = h('a', { href: url, download: name, class: 'hidden' });
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/** Formats an ISO time for people (local time, to the second). */
export function when(iso: string | null | undefined): string {
  if (iso === null || iso === undefined) return '—';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
}
