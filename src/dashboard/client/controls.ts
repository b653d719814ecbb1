/**
 * The controls of the pipeline on screen: the start form (the API's validation detail next to
 * the field it names), run now, pause / resume, stop, and clear logs after a confirmation. Any
 * other refusal (a 409, say) is shown with the API's detail under the buttons.
 */
import type { DaemonStatus } from '../../schemas.js'
import { api } from './api.js'
import { AuthCancelled } from './auth.js'
import { currentPipeline } from './current.js'
import { $, notice } from './dom.js'
import { refreshStatus } from './status.js'

const FIELDS = ['interval', 'cron', 'timezone'] as const
type Field = (typeof FIELDS)[number]
const FIELD_OF: Record<string, Field> = { interval_seconds: 'interval', cron: 'cron', timezone: 'timezone' }

let form: HTMLFormElement
const button = (id: string) => $<HTMLButtonElement>(id)

export function initControls(): void {
  form = $<HTMLFormElement>('start-form')
  form.addEventListener('change', (e) => {
    if ((e.target as HTMLInputElement).name !== 'mode') return
    renderMode()
    // Cron schedules wait for their time by default; interval ones run at once.
    $<HTMLInputElement>('run-immediately').checked = mode() === 'interval'
    clearFieldErrors()
  })
  form.addEventListener('submit', (e) => {
    e.preventDefault()
    clearFieldErrors()
    void action(button('start'), 'POST', 'start', startBody(), showStartError)
  })
  button('stop').addEventListener('click', () => void action(button('stop'), 'POST', 'stop'))
  button('run-now').addEventListener('click', () => void action(button('run-now'), 'POST', 'run'))
  // One button: what it does follows the status it shows.
  button('pause').addEventListener('click', () => {
    const b = button('pause')
    void action(b, 'POST', b.dataset.op === 'resume' ? 'resume' : 'pause')
  })
  const dialog = $<HTMLDialogElement>('clear-dialog')
  button('clear-logs').addEventListener('click', () => {
    dialog.returnValue = ''
    dialog.showModal()
  })
  dialog.addEventListener('close', () => {
    if (dialog.returnValue === 'confirm') void action(button('clear-logs'), 'DELETE', 'logs')
    button('clear-logs').focus()
  })
  renderMode()
}

/** Enables what makes sense for this status. */
export function renderControls(s: DaemonStatus): void {
  const running = s.is_running
  button('start').disabled = running
  button('stop').disabled = !running
  button('run-now').disabled = !running || !!s.current_run
  const pause = button('pause')
  pause.disabled = !running
  pause.dataset.op = s.paused ? 'resume' : 'pause'
  pause.textContent = s.paused ? 'Resume' : 'Pause'
  pause.title = s.paused ? 'Run scheduled runs again' : 'Skip scheduled runs (recorded as skipped) until resumed'
}

/** Another pipeline: no message or field error of the previous one stays. */
export function resetControls(): void {
  notice('')
  clearFieldErrors()
}

function startBody(): Record<string, unknown> {
  const body: Record<string, unknown> = {}
  if (mode() === 'interval') {
    const raw = $<HTMLInputElement>('interval').value.trim()
    // Sent as typed (null when empty or not a number) so the API's own rule explains it.
    body.interval_seconds = raw === '' || Number.isNaN(Number(raw)) ? null : Number(raw)
  } else {
    body.cron = $<HTMLInputElement>('cron').value.trim()
    const tz = $<HTMLInputElement>('timezone').value.trim()
    if (tz) body.timezone = tz
  }
  body.run_immediately = $<HTMLInputElement>('run-immediately').checked
  return body
}

async function action(b: HTMLButtonElement, method: string, route: string, body?: unknown, onBadInput?: (detail: string) => void) {
  const pipeline = currentPipeline()
  if (!pipeline) return
  const label = b.textContent ?? ''
  b.disabled = true
  b.setAttribute('aria-busy', 'true')
  notice(`${label.replace('…', '')}: working…`)
  try {
    const r = await api<{ message?: string }>(method, `${pipeline.base}/${route}`, body)
    if (r.ok) notice(r.data?.message ?? 'Done')
    else if (onBadInput && r.status === 400) {
      notice('')
      onBadInput(r.detail)
    } else notice(r.detail, true)
  } catch (err) {
    notice(err instanceof AuthCancelled ? 'Not signed in: the API needs a token.' : `Request failed: ${String(err)}`, true)
  } finally {
    b.removeAttribute('aria-busy')
    b.disabled = false
    await refreshStatus()
  }
}

function clearFieldErrors() {
  for (const f of FIELDS) {
    $(`${f}-error`).hidden = true
    $(`${f}-error`).textContent = ''
    $(f).removeAttribute('aria-invalid')
  }
  $('form-error').hidden = true
}

/** Puts the API's detail next to the field it names (`interval_seconds: must be ...`). */
function showStartError(detail: string) {
  const m = /^([a-z_]+): /.exec(detail)
  const field = m ? FIELD_OF[m[1]!] : undefined
  const err = $(field ? `${field}-error` : 'form-error')
  err.textContent = detail
  err.hidden = false
  if (field) {
    const input = $(field)
    input.setAttribute('aria-invalid', 'true')
    input.focus()
  }
}

function mode(): 'interval' | 'cron' {
  return (form.elements.namedItem('mode') as RadioNodeList).value === 'cron' ? 'cron' : 'interval'
}

function renderMode() {
  const m = mode()
  for (const part of form.querySelectorAll<HTMLElement>('[data-mode]')) part.hidden = part.dataset.mode !== m
}
