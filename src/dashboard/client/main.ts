/**
 * The dashboard's entry point. With one pipeline the page is that pipeline's view; with several,
 * it starts on the list and `#pipeline=name` opens one (so a reload keeps it), with a link back.
 */
import type { PipelineSummary } from '../../schemas.js'
import { allowPrompt, forgetToken, renderAuth } from './auth.js'
import { initControls, renderControls, resetControls } from './controls.js'
import { closePipeline, currentPipeline, openPipeline } from './current.js'
import { $, el, notice } from './dom.js'
import { isViewFragment, pipelineFromFragment } from './fragment.js'
import { clearLogView, initLogView } from './log-view.js'
import { fetchPipelines, hidePipelines, initPipelines, showPipelines, tickPipelines } from './pipelines.js'
import { initRuns, refreshRuns, resetRuns } from './runs.js'
import { connectLog, disconnectLog, initStreamWatch } from './sse.js'
import { onStatus, refreshStatus, startStatus, stopStatus, tickStatus } from './status.js'

const RETRY_MS = 2000

let routing = 0
let retry: ReturnType<typeof setTimeout> | undefined

/** Shows what the URL asks for, from a fresh list of pipelines. `again` reopens the pipeline on screen. */
async function route(again = false): Promise<void> {
  clearTimeout(retry)
  const turn = ++routing
  let list: PipelineSummary[] | null
  try {
    list = await fetchPipelines()
  } catch {
    return // the token prompt was closed: "Sign in" routes again
  }
  if (turn !== routing) return
  if (!list) {
    retry = setTimeout(() => void route(again), RETRY_MS)
    return
  }
  const wanted = pipelineFromFragment(location.hash)
  const names = list.map((p) => p.name)
  const many = list.length > 1
  if (wanted && names.includes(wanted)) showPipeline(wanted, many, again)
  else if (list.length === 1) showPipeline(names[0]!, false, again)
  else showList(list, wanted ? `There is no pipeline named “${wanted}”.` : '')
}

function showPipeline(name: string, many: boolean, again: boolean) {
  hidePipelines()
  $('pipeline-view').hidden = false
  $('crumbs').hidden = !many
  $('pipeline-name').textContent = name
  if (!again && currentPipeline()?.name === name) return
  leavePipeline()
  openPipeline(name)
  startStatus(many)
  void refreshRuns()
  void connectLog()
}

function showList(list: PipelineSummary[], note: string) {
  leavePipeline()
  $('pipeline-view').hidden = true
  $('crumbs').hidden = true
  showPipelines(list, note)
}

function leavePipeline() {
  if (!currentPipeline()) return
  closePipeline()
  stopStatus()
  disconnectLog()
  clearLogView()
  resetRuns()
  resetControls()
}

// The history follows the status: a run began, ended or moved on.
let lastRunKey = ''
onStatus((s) => {
  renderControls(s)
  const key = `${currentPipeline()?.name}|${s.last_run?.id ?? ''}|${s.last_run?.status ?? ''}|${s.current_run?.id ?? ''}`
  if (key !== lastRunKey) {
    lastRunKey = key
    void refreshRuns()
  }
})

function fillTimeZones() {
  try {
    const zones = Intl.supportedValuesOf?.('timeZone') ?? []
    $('timezones').replaceChildren(...zones.map((z) => Object.assign(el('option'), { value: z })))
  } catch {
    // an old browser: no suggestions
  }
}

initLogView()
initRuns()
initControls()
initPipelines()
initStreamWatch()
fillTimeZones()
renderAuth()
$('forget-token').addEventListener('click', () => {
  forgetToken()
  notice('Token forgotten for this tab.')
})
$('sign-in').addEventListener('click', () => {
  allowPrompt()
  notice('')
  void route(true)
})
window.addEventListener('hashchange', () => {
  if (isViewFragment(location.hash)) void route()
})
// The skip link moves the focus without touching the fragment, which names the pipeline on screen.
document.querySelector('.skip-link')?.addEventListener('click', (e) => {
  e.preventDefault()
  $('log').focus()
})
setInterval(() => {
  tickStatus()
  tickPipelines()
}, 500)
document.addEventListener('visibilitychange', () => {
  if (!document.hidden) void refreshStatus()
})
void route()
