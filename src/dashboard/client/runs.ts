/** The run history of the pipeline on screen: the table, the chart, and the selected run's details. */
import type { RunRecord } from '../../schemas.js'
import { api, serverNow } from './api.js'
import { currentPipeline, isCurrent } from './current.js'
import { $, badge, el, messageRow, row } from './dom.js'
import { describeRunFailure } from '../../run-step.js'
import { formatDuration, formatTime } from './format.js'
import { drawChart } from './run-chart.js'
import { hideRunDetail, showRunDetail } from './run-detail.js'

const LIMIT = 60

let runs: RunRecord[] = []
let selected: string | null = null
let busy = false
let again = false

export function initRuns(): void {
  $('runs-body').addEventListener('click', (e) => {
    const tr = (e.target as HTMLElement).closest('tr')
    if (tr?.dataset.id) select(tr.dataset.id, true)
  })
  $('chart').addEventListener('click', (e) => {
    const id = (e.target as Element).getAttribute('data-id')
    if (id) select(id, true)
  })
  new ResizeObserver(() => drawChart(runs, selected)).observe($('chart-wrap'))
  $('run-detail-close').addEventListener('click', () => {
    const id = selected
    selected = null
    hideRunDetail()
    render()
    const btn = id ? document.querySelector<HTMLElement>(`#runs-body tr[data-id="${CSS.escape(id)}"] button`) : null
    btn?.focus()
  })
}

/** Another pipeline: nothing of the previous one's history stays on screen. */
export function resetRuns(): void {
  runs = []
  selected = null
  hideRunDetail()
  $('runs-body').replaceChildren(messageRow('Loading…', 5))
  drawChart(runs, selected)
}

export async function refreshRuns(): Promise<void> {
  const pipeline = currentPipeline()
  if (!pipeline) return
  if (busy) {
    again = true
    return
  }
  busy = true
  try {
    const r = await api<{ runs: RunRecord[] }>('GET', `${pipeline.base}/runs?limit=${LIMIT}`)
    if (r.ok && isCurrent(pipeline)) {
      const before = selected ? runs.find((x) => x.id === selected) : undefined
      runs = r.data.runs
      render()
      const after = selected ? runs.find((x) => x.id === selected) : undefined
      if (after && before && (after.status !== before.status || after.steps.length !== before.steps.length)) select(after.id, false)
    }
  } catch {
    // the status poll reports an unreachable server
  } finally {
    busy = false
    if (again) {
      again = false
      void refreshRuns()
    }
  }
}

function select(id: string, focus: boolean) {
  const pipeline = currentPipeline()
  if (!pipeline) return
  selected = id
  render()
  void showRunDetail(pipeline, id, focus, () => selected === id)
}

function render() {
  renderTable()
  drawChart(runs, selected)
}

function renderTable() {
  const body = $('runs-body')
  if (!runs.length) {
    body.replaceChildren(messageRow('No runs yet.', 5))
    return
  }
  const rows = runs.map((run) => {
    const open = el('button', 'link', formatTime(run.started_at))
    open.type = 'button'
    open.setAttribute('aria-controls', 'run-detail')
    open.setAttribute('aria-expanded', String(run.id === selected))
    open.setAttribute('aria-label', `Run started ${formatTime(run.started_at)}, ${run.status}: show steps and log`)
    const tr = row([
      [badge(run.status), ''],
      [run.trigger, 'hide-narrow'],
      [open, ''],
      [formatDuration(run.duration_ms ?? (run.status === 'running' ? serverNow() - Date.parse(run.started_at) : null)), 'num'],
      [describeRunFailure(run), 'wrap'],
    ])
    tr.dataset.id = run.id
    if (run.id === selected) tr.classList.add('selected')
    return tr
  })
  body.replaceChildren(...rows)
}
