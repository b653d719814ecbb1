/**
 * The list of pipelines, shown when the server runs more than one: each one's state, next run
 * (with a countdown) and last run; its name links to its own view (`#pipeline=name`). Rows are
 * kept across refreshes, so a focused link keeps its focus.
 */
import type { PipelineSummary } from '../../schemas.js'
import { api, serverNow } from './api.js'
import { AuthCancelled } from './auth.js'
import { $, badge, el, messageRow, setBadge, timeEl } from './dom.js'
import { fragmentFor } from './fragment.js'
import { formatCountdown, listHeadline, pipelineState, stateBadge } from './format.js'

const EVERY_MS = 2000
const COLUMNS = 4

let timer: ReturnType<typeof setTimeout> | undefined
let showing = false
const rows = new Map<string, HTMLTableRowElement>()

/** GET /api/pipelines; null when it failed (the badge says why). Throws AuthCancelled when signed out. */
export async function fetchPipelines(): Promise<PipelineSummary[] | null> {
  try {
    const r = await api<{ pipelines: PipelineSummary[] }>('GET', './api/pipelines')
    if (r.ok) return r.data.pipelines
    setBadge(`Pipelines: ${r.detail}`, 's-down')
  } catch (err) {
    if (err instanceof AuthCancelled) throw err
    setBadge('Server unreachable', 's-down')
  }
  return null
}

export function initPipelines(): void {
  // The whole row opens the pipeline; the link in it is what the keyboard reaches.
  $('pipelines-body').addEventListener('click', (e) => {
    const tr = (e.target as HTMLElement).closest('tr')
    if (tr?.dataset.name && !(e.target as HTMLElement).closest('a')) location.hash = fragmentFor(tr.dataset.name)
  })
}

/** Shows the list (with `note`, e.g. an unknown pipeline in the URL) and keeps it fresh. */
export function showPipelines(list: PipelineSummary[], note = ''): void {
  showing = true
  $('pipelines-view').hidden = false
  $('pipelines-note').textContent = note
  $('pipelines-note').hidden = !note
  render(list)
  schedule()
}

export function hidePipelines(): void {
  showing = false
  clearTimeout(timer)
  $('pipelines-view').hidden = true
}

function schedule() {
  clearTimeout(timer)
  timer = setTimeout(async () => {
    try {
      const list = await fetchPipelines()
      if (!showing) return
      if (list) render(list)
      schedule()
    } catch {
      // signed out: "Sign in" routes again
    }
  }, EVERY_MS)
}

function render(list: PipelineSummary[]) {
  const head = listHeadline(list)
  setBadge(head.badge, head.cls)
  document.title = head.title
  const body = $('pipelines-body')
  if (!list.length) {
    rows.clear()
    body.replaceChildren(messageRow('No pipelines: add a pipeline file to the pipelines folder.', COLUMNS))
    return
  }
  const wanted = list.map((p) => {
    const tr = rows.get(p.name) ?? newRow(p.name)
    rows.set(p.name, tr)
    fillRow(tr, p)
    return tr
  })
  const names = new Set(list.map((p) => p.name))
  for (const name of rows.keys()) if (!names.has(name)) rows.delete(name)
  for (const child of [...body.children]) if (!wanted.includes(child as HTMLTableRowElement)) child.remove()
  // Moved only when out of place: moving a row would take the focus from its link.
  wanted.forEach((tr, i) => {
    if (body.children[i] !== tr) body.insertBefore(tr, body.children[i] ?? null)
  })
  tickPipelines()
}

function newRow(name: string): HTMLTableRowElement {
  const tr = el('tr')
  tr.dataset.name = name
  const link = el('a', 'pipeline-link', name)
  link.href = fragmentFor(name)
  const nameCell = el('th')
  nameCell.scope = 'row'
  nameCell.append(link, el('div', 'muted wrap pipeline-error'))
  tr.append(nameCell, el('td', 'state'), el('td', 'next'), el('td', 'last'))
  return tr
}

function fillRow(tr: HTMLTableRowElement, p: PipelineSummary) {
  const [nameCell, state, next, last] = [...tr.children] as HTMLElement[]
  const error = nameCell!.querySelector<HTMLElement>('.pipeline-error')!
  error.textContent = p.error ?? ''
  error.hidden = !p.error
  const s = stateBadge(pipelineState(p))
  const stateEl = el('span', `badge ${s.cls}`, s.text)
  state!.replaceChildren(stateEl, p.current_run ? ` step ${p.current_run.index} of ${p.current_run.total}` : '')
  if (p.next_run_at) {
    const cd = el('span', 'countdown', '')
    cd.dataset.at = p.next_run_at
    next!.replaceChildren(cd, ' (', timeEl(p.next_run_at), ')')
  } else next!.replaceChildren(el('span', 'muted', '–'))
  if (p.last_run) last!.replaceChildren(badge(p.last_run.status), ' ', timeEl(p.last_run.finished_at ?? p.last_run.started_at))
  else last!.replaceChildren(el('span', 'muted', 'none yet'))
}

/** The countdowns move with the clock. */
export function tickPipelines(): void {
  if (!showing) return
  for (const cd of $('pipelines-body').querySelectorAll<HTMLElement>('.countdown[data-at]')) {
    cd.textContent = formatCountdown(Date.parse(cd.dataset.at!) - serverNow())
  }
}
