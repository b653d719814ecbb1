/** Small DOM helpers shared by the dashboard's modules. Every element they look up is server-rendered (page.tsx). */
import { formatTime, statusLabel } from './format.js'

export function $<T extends Element = HTMLElement>(id: string): T {
  // querySelector is typed by the element asked for (an SVG element is no HTMLElement).
  const found = document.querySelector<T>(`#${CSS.escape(id)}`)
  if (!found) throw new Error(`the page has no #${id}`)
  return found
}

export function el<K extends keyof HTMLElementTagNameMap>(tag: K, cls?: string, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag)
  if (cls) e.className = cls
  if (text !== undefined) e.textContent = text
  return e
}

/** A `<time>` with the full ISO time as its tooltip; a muted dash for none. */
export function timeEl(iso: string | null | undefined): HTMLElement {
  if (!iso) return el('span', 'muted', '–')
  const t = el('time', '', formatTime(iso))
  t.dateTime = iso
  t.title = iso
  return t
}

/** A run's or a step's status as a coloured badge. */
export function badge(status: string): HTMLElement {
  return el('span', `badge s-${status}`, statusLabel(status))
}

/** A table row of [content, class] cells. */
export function row(cells: [Node | string, string][]): HTMLTableRowElement {
  const tr = el('tr')
  for (const [content, cls] of cells) {
    const td = el('td', cls)
    td.append(content)
    tr.append(td)
  }
  return tr
}

/** A one-cell row spanning the table, for "No runs yet." and the like. */
export function messageRow(text: string, columns: number): HTMLTableRowElement {
  const td = el('td', 'muted', text)
  td.colSpan = columns
  const tr = el('tr')
  tr.append(td)
  return tr
}

/** The big badge in the header. */
export function setBadge(text: string, cls: string): void {
  const b = $('state-badge')
  b.textContent = text
  b.className = `badge big ${cls}`
}

/** The line under the controls that reports what an action did (or why not). */
export function notice(text: string, isError = false): void {
  const n = $('notice')
  n.textContent = text
  n.classList.toggle('error', isError)
}
