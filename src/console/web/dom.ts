/** Tiny DOM helpers: elements are built with text nodes only (no innerHTML anywhere). */

export type Attrs = Record<string, string | number | boolean | null | undefined>;
export type Child = Node | string | number | null | undefined | false;

/**
 * h('div', { class: 'x', 'data-id': 3 }, 'text', h('b', {}, 'bold'))
 * Attributes with null/undefined/false are left out; `true` sets an empty attribute.
 */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

export function append(el: Element, children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

/** Replaces an element's children. */
export function fill(el: Element, ...children: Child[]): void {
  el.replaceChildren();
  append(el, children);
}

export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`console page: #${id} missing from index.html`);
  return el as T;
}

/** Sets text only when it changed (avoids layout work at 5 updates a second). */
export function setText(el: Element, text: string): void {
  if (el.textContent !== text) el.textContent = text;
}

/** A cell of `table()`: its content and attributes; `th` makes it a header cell (a row's header). */
export interface Cell {
  content: Child;
  th?: boolean;
  attrs?: Attrs;
}

/** A body row of `table()`. */
export interface Row {
  attrs?: Attrs;
  cells: Cell[];
}

/**
 * The tables the panels draw (the titration panel's methods and limits, the screen's inputs):
 * an optional caption, an optional header row (a string is a plain header cell) and the body.
 *
 * table({ class: 'methods' }, { head: ['Method', { content: 'PEEP', attrs: { class: 'n' } }], rows: [{ cells: [{ content: 'SpO2' }, { content: '15', attrs: { class: 'n' } }] }] })
 */
export function table(attrs: Attrs, o: { caption?: string; head?: (string | Cell)[]; rows: Row[] }): HTMLTableElement {
  const cell = (tag: 'th' | 'td', c: Cell) => h(tag, c.attrs ?? {}, c.content);
  return h(
    'table',
    attrs,
    o.caption !== undefined ? h('caption', {}, o.caption) : null,
    o.head ? h('thead', {}, h('tr', {}, ...o.head.map((c) => cell('th', typeof c === 'string' ? { content: c } : c)))) : null,
    h('tbody', {}, ...o.rows.map((r) => h('tr', r.attrs ?? {}, ...r.cells.map((c) => cell(c.th ? 'th' : 'td', c))))),
  );
}
