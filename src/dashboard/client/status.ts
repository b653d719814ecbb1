/**
 * One pipeline's status: polled (faster while a run is going), and asked for at once when a log
 * line says a run or a step began or ended. Renders "At a glance" and the header badge; other
 * modules (the controls, the history) follow it through onStatus.
 */
import type { DaemonStatus } from '../../schemas.js'
import { api, serverNow } from './api.js'
import { AuthCancelled } from './auth.js'
import { currentPipeline, isCurrent, type OpenPipeline } from './current.js'
import { $, badge, el, notice, setBadge, timeEl } from './dom.js'
import { describeSchedule, formatCountdown, formatDuration, statusHeadline } from './format.js'

const EVERY_MS = 2000
const BUSY_EVERY_MS = 1000

let status: DaemonStatus | null = null
// Polls, "soon" refreshes and the controls' refreshes overlap: only an answer to a newer request
// than the one on screen is shown, so a slow old answer never undoes what a newer one showed.
let asked = 0
let shown = 0
let timer: ReturnType<typeof setTimeout> | undefined
let soonTimer: ReturnType<typeof setTimeout> | undefined
const listeners: ((s: DaemonStatus) => void)[] = []
// Set when several pipelines are served: the tab title names the one on screen.
let titleName: string | null = null

/** Calls `fn` with every new status of the pipeline on screen. */
export function onStatus(fn: (s: DaemonStatus) => void): void {
  listeners.push(fn)
}

export function currentStatus(): DaemonStatus | null {
  return status
}

/** Starts polling the pipeline on screen; `named` puts its name in the tab title. */
export function startStatus(named: boolean): void {
  status = null
  titleName = named ? (currentPipeline()?.name ?? null) : null
  setBadge('Loading…', 's-down')
  for (const id of ['f-message', 'f-pid', 'f-schedule', 'f-started', 'f-next', 'f-current', 'f-last']) $(id).textContent = '–'
  void refreshStatus()
}

export function stopStatus(): void {
  clearTimeout(timer)
  clearTimeout(soonTimer)
  status = null
}

export async function refreshStatus(): Promise<void> {
  const pipeline = currentPipeline()
  if (!pipeline) return
  clearTimeout(timer)
  const turn = ++asked
  try {
    const r = await api<DaemonStatus>('GET', `${pipeline.base}/status`)
    if (!isCurrent(pipeline) || turn < shown) return
    shown = turn
    if (r.ok) {
      status = r.data
      renderStatus(r.data)
      for (const fn of listeners) fn(r.data)
    } else notice(r.detail, true)
  } catch (err) {
    if (err instanceof AuthCancelled || !isCurrent(pipeline) || turn < shown) return
    shown = turn
    setBadge('Server unreachable', 's-down')
  }
  schedule(pipeline)
}

function schedule(pipeline: OpenPipeline) {
  if (!isCurrent(pipeline)) return
  clearTimeout(timer)
  timer = setTimeout(() => void refreshStatus(), status?.current_run ? BUSY_EVERY_MS : EVERY_MS)
}

/** A status soon, once a burst of progress lines has passed. */
export function refreshSoon(): void {
  clearTimeout(soonTimer)
  soonTimer = setTimeout(() => void refreshStatus(), 150)
}

function renderStatus(s: DaemonStatus) {
  const head = statusHeadline(s, titleName)
  setBadge(head.badge, head.cls)
  document.title = head.title
  $('f-message').textContent = s.message
  $('f-pid').textContent = s.pid == null ? '–' : String(s.pid)
  $('f-schedule').textContent = s.schedule ? describeSchedule(s.schedule) : '–'
  $('f-started').replaceChildren(timeEl(s.started_at))
  const last = s.last_run
  const lastEl = $('f-last')
  if (last) {
    const parts: (Node | string)[] = [badge(last.status), ' ']
    if (last.finished_at) parts.push('finished ', timeEl(last.finished_at), `, took ${formatDuration(last.duration_ms)}`)
    else parts.push('started ', timeEl(last.started_at))
    lastEl.replaceChildren(...parts)
  } else lastEl.textContent = 'none yet'
  tickStatus()
}

/** The parts that move with the clock: the countdown and the elapsed times. */
export function tickStatus(): void {
  const s = status
  if (!s) return
  const next = $('f-next')
  if (s.next_run_at) {
    const cd = el('span', 'countdown', formatCountdown(Date.parse(s.next_run_at) - serverNow()))
    next.replaceChildren(cd, ' (', timeEl(s.next_run_at), ')', s.paused ? ', skipped while paused' : '')
  } else next.textContent = s.is_running ? 'not scheduled' : '–'

  const current = s.current_run
  const cur = $('f-current')
  if (!current) {
    cur.textContent = s.is_running ? 'idle' : '–'
    return
  }
  const stepElapsed = current.step_started_at ? serverNow() - Date.parse(current.step_started_at) : null
  const runElapsed = serverNow() - Date.parse(current.started_at)
  const line = el('div')
  line.append(
    el('strong', '', `Step ${current.index} of ${current.total}`),
    current.step ? `: ${current.step}` : '',
    stepElapsed != null ? `, ${formatDuration(Math.max(0, stepElapsed))} elapsed` : '',
  )
  const prog = el('progress')
  prog.max = current.total
  prog.value = Math.max(0, current.index - 1)
  prog.setAttribute('aria-label', `Step ${current.index} of ${current.total}`)
  const sub = el('div', 'muted', `${current.trigger === 'manual' ? 'Manual' : 'Scheduled'} run, ${formatDuration(Math.max(0, runElapsed))} so far`)
  cur.replaceChildren(line, prog, sub)
}
