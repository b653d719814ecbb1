/**
 * The live log's view: lines are rendered in batches per animation frame (at most ~10 ms each),
 * the DOM holds at most MAX_RENDERED of them, auto-scroll pauses while the reader scrolls up,
 * and a filter re-renders the matching lines.
 */
import { $, el } from './dom.js'
import { formatCount, lineKind } from './format.js'

const MAX_RENDERED = Number(document.body.dataset.maxLines) || 5000
// Lines kept in memory for the filter; trimmed in bulk so pushing stays O(1) amortised.
const MAX_KEPT = MAX_RENDERED * 10
const FRAME_BUDGET_MS = 10
const CHUNK_LINES = 200
const LINE_CLASS = { stdout: 'line', daemon: 'line', stderr: 'line stderr', marker: 'line marker', bad: 'line bad' } as const

/** Lines shown at most in one view (the live log, a run's log). */
export const maxRenderedLines = MAX_RENDERED

/** One log line, styled by its kind (stderr red, run markers bold). */
export function lineEl(text: string): HTMLElement {
  return el('div', LINE_CLASS[lineKind(text)], text)
}

let logEl: HTMLElement
let jump: HTMLButtonElement
let sizes: ResizeObserver
let all: string[] = []
let pending: string[] = []
let total = 0
let frame = 0
let rendered = 0
let stick = true
let unseen = 0
let filter = ''

const matches = (line: string) => !filter || line.toLowerCase().includes(filter)

export function initLogView(): void {
  logEl = $('log')
  jump = $<HTMLButtonElement>('jump')
  // Lines re-wrap when the box changes width: whenever a size changes, stay at the bottom if sticking.
  sizes = new ResizeObserver(() => {
    if (stick) logEl.scrollTop = logEl.scrollHeight
  })
  sizes.observe(logEl)

  // Only the reader's own scrolling pauses auto-scroll: layout shifts from new or dropped lines
  // also fire `scroll`, and must not.
  let userScrollUntil = 0
  const byUser = () => (userScrollUntil = performance.now() + 1000)
  for (const type of ['wheel', 'touchmove', 'pointerdown', 'keydown'] as const) logEl.addEventListener(type, byUser, { passive: true })
  logEl.addEventListener('scroll', () => {
    const atBottom = logEl.scrollTop + logEl.clientHeight >= logEl.scrollHeight - 24
    if (atBottom) {
      if (!stick) {
        stick = true
        unseen = 0
        jump.hidden = true
      }
    } else if (performance.now() < userScrollUntil) {
      if (stick) {
        stick = false
        jump.textContent = 'Jump to latest'
        jump.hidden = false
      }
    } else if (stick) logEl.scrollTop = logEl.scrollHeight
  })
  jump.addEventListener('click', () => {
    stickToBottom()
    logEl.focus()
  })

  const filterInput = $<HTMLInputElement>('log-filter')
  let filterTimer: ReturnType<typeof setTimeout> | undefined
  filterInput.addEventListener('input', () => {
    clearTimeout(filterTimer)
    filterTimer = setTimeout(() => {
      filter = filterInput.value.trim().toLowerCase()
      rerender()
    }, 120)
  })
}

export function addLines(lines: string[]): void {
  for (const line of lines) {
    all.push(line)
    pending.push(line)
  }
  total += lines.length
  if (all.length > MAX_KEPT * 1.5) all = all.slice(-MAX_KEPT)
  // Only the newest MAX_RENDERED lines can end up on screen: older pending ones are skipped.
  if (pending.length > MAX_RENDERED * 2) pending = pending.slice(-MAX_RENDERED)
  if (!frame) frame = requestAnimationFrame(flush)
}

/** Empties the view (a new stream, a cleared log, another pipeline); `note` says why when empty. */
export function clearLogView(note?: string): void {
  all = []
  pending = []
  total = 0
  emptyLog()
  logEl.dataset.empty = note ?? 'No log lines yet.'
  stickToBottom()
  renderLogInfo()
}

/**
 * Renders pending lines for at most ~10 ms per frame, so a flood never blocks input. Lines go
 * into chunks of CHUNK_LINES, so dropping old lines mostly drops whole chunks. (Measured with
 * 100k lines: `content-visibility: auto` per line cost more in intersection checks than it
 * saved, and per chunk it left the view blank for a frame after a resize.)
 */
function flush() {
  frame = 0
  const t0 = performance.now()
  let chunk = logEl.lastElementChild as HTMLElement | null
  let frag = document.createDocumentFragment()
  let room = chunk ? CHUNK_LINES - chunk.childElementCount : 0
  let added = 0
  let i = 0
  for (; i < pending.length; i++) {
    const line = pending[i]!
    if (filter && !matches(line)) continue
    if (room <= 0) {
      if (chunk) chunk.appendChild(frag)
      chunk = logEl.appendChild(el('div', 'chunk'))
      sizes.observe(chunk)
      frag = document.createDocumentFragment()
      room = CHUNK_LINES
    }
    frag.appendChild(lineEl(line))
    room--
    if (++added % 100 === 0 && performance.now() - t0 > FRAME_BUDGET_MS) {
      i++
      break
    }
  }
  if (chunk) chunk.appendChild(frag)
  pending = i >= pending.length ? [] : pending.slice(i)
  rendered += added
  if (added) {
    trimRendered()
    if (stick) logEl.scrollTop = logEl.scrollHeight
    else {
      unseen += added
      jump.textContent = `Jump to latest (${formatCount(unseen)} new)`
      jump.hidden = false
    }
  }
  if (pending.length) frame = requestAnimationFrame(flush)
  renderLogInfo()
}

/** Drops the oldest rendered lines beyond the cap, keeping the reader's place when scrolled up. */
function trimRendered() {
  let excess = rendered - MAX_RENDERED
  if (excess <= 0) return
  // The first chunk left untouched keeps the reader's place. Measuring forces a layout: only
  // pay for it when scrolled up.
  let anchor: HTMLElement | null = null
  if (!stick) {
    let sum = 0
    let j = 0
    while (j < logEl.childElementCount && sum < excess) sum += logEl.children[j++]!.childElementCount
    anchor = (logEl.children[j] as HTMLElement | undefined) ?? null
  }
  const before = anchor ? anchor.offsetTop : 0
  while (excess > 0) {
    const head = logEl.firstElementChild as HTMLElement
    const n = head.childElementCount
    if (n <= excess) {
      sizes.unobserve(head)
      head.remove()
      excess -= n
      rendered -= n
    } else {
      const range = document.createRange()
      range.setStartBefore(head.firstChild!)
      range.setEndBefore(head.children[excess]!)
      range.deleteContents()
      rendered -= excess
      excess = 0
    }
  }
  if (anchor) logEl.scrollTop -= before - anchor.offsetTop
}

function renderLogInfo() {
  const shown = rendered
  const kept = all.length
  let text = `${formatCount(shown)} line${shown === 1 ? '' : 's'} shown`
  if (filter) text += ` matching “${filter}”`
  else if (total > shown) text += ` of ${formatCount(total)} received`
  if (kept < total && filter) text += ` (searching the last ${formatCount(kept)})`
  $('log-info').textContent = text
}

function rerender() {
  const out: string[] = []
  for (let i = all.length - 1; i >= 0 && out.length < MAX_RENDERED; i--) if (matches(all[i]!)) out.push(all[i]!)
  out.reverse()
  emptyLog()
  // Through the pending queue, so a big re-render is spread over frames too (it holds only matches).
  pending = out
  stickToBottom()
  if (frame) cancelAnimationFrame(frame)
  flush()
}

function emptyLog() {
  for (const chunk of logEl.children) sizes.unobserve(chunk)
  logEl.replaceChildren()
  rendered = 0
}

function stickToBottom() {
  stick = true
  unseen = 0
  jump.hidden = true
  logEl.scrollTop = logEl.scrollHeight
}
