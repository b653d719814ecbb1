/** One run's details under the history: a summary, its steps (with their attempts) and its own log. */
import type { RunRecord } from '../../schemas.js'
import { api } from './api.js'
import { AuthCancelled } from './auth.js'
import { isCurrent, type OpenPipeline } from './current.js'
import { $, badge, el, messageRow, row, timeEl } from './dom.js'
import { attemptsLabel, formatCount, formatDuration, type StepView } from './format.js'
import { lineEl, maxRenderedLines } from './log-view.js'

/** Shows run `id`; `stillWanted` is false once the reader chose another run or pipeline. */
export async function showRunDetail(pipeline: OpenPipeline, id: string, focus: boolean, stillWanted: () => boolean): Promise<void> {
  $('run-detail').hidden = false
  const heading = $('run-detail-h')
  heading.textContent = `Run ${id}`
  if (focus) heading.focus()
  const path = `${pipeline.base}/runs/${encodeURIComponent(id)}`
  try {
    const [run, log] = await Promise.all([api<RunRecord>('GET', path), api<{ logs: string }>('GET', `${path}/logs`)])
    if (!isCurrent(pipeline) || !stillWanted()) return
    if (run.ok) renderRun(run.data)
    else {
      $('run-detail-summary').textContent = run.detail
      $('run-steps').replaceChildren()
    }
    if (log.ok) renderRunLog(log.data.logs)
    else $('run-log').replaceChildren(el('div', 'line note', log.detail))
  } catch (err) {
    if (!(err instanceof AuthCancelled)) $('run-detail-summary').textContent = `Request failed: ${String(err)}`
  }
}

export function hideRunDetail(): void {
  $('run-detail').hidden = true
  $('run-detail-summary').textContent = ''
  $('run-steps').replaceChildren()
  $('run-log').replaceChildren()
}

function renderRun(r: RunRecord) {
  $('run-detail-summary').replaceChildren(
    badge(r.status),
    ` ${r.trigger === 'manual' ? 'Manual' : 'Scheduled'} run, started `,
    timeEl(r.started_at),
    r.finished_at ? `, took ${formatDuration(r.duration_ms)}` : '',
    r.reason ? `. ${r.reason}` : '',
  )
  const rows = r.steps.map((s: StepView) => {
    const attempts = attemptsLabel(s)
    const state = el('span')
    state.append(badge(s.status))
    if (attempts) state.append(' ', el('span', 'muted attempts', attempts))
    const tr = row([
      [s.name, 'wrap'],
      [state, ''],
      [s.exit_code == null ? '–' : String(s.exit_code), 'num'],
      [s.signal ?? '–', 'hide-narrow'],
      [formatDuration(s.duration_ms), 'num'],
    ])
    if (s.error) tr.title = s.error
    return tr
  })
  $('run-steps').replaceChildren(...(rows.length ? rows : [messageRow('No steps ran.', 5)]))
}

function renderRunLog(text: string) {
  const lines = text.split('\n')
  if (lines[lines.length - 1] === '') lines.pop()
  const shown = lines.slice(-maxRenderedLines)
  const frag = document.createDocumentFragment()
  if (shown.length < lines.length) frag.append(el('div', 'line note', `Showing the last ${formatCount(shown.length)} of ${formatCount(lines.length)} lines.`))
  for (const line of shown) frag.append(lineEl(line))
  $('run-log').replaceChildren(frag)
}
