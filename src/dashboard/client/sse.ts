/**
 * The live log stream of the pipeline on screen: fetch (so the token header can be sent) read
 * through the typed client's SSE parser, reconnected with a growing backoff, and dropped when
 * silent for longer than the server's heartbeats allow (a proxy can cut a connection silently).
 */
import { parseSse } from '../../client/sse.js'
import { apiUrl, readDetail } from './api.js'
import { askForToken, authHeaders, AuthCancelled } from './auth.js'
import { currentPipeline, isCurrent } from './current.js'
import { $ } from './dom.js'
import { formatClock, isProgressLine } from './format.js'
import { addLines, clearLogView } from './log-view.js'
import { refreshSoon } from './status.js'

const INITIAL_LINES = 1000
// Heartbeats come every 15 s.
const SILENCE_MS = 45_000
const FRAME_BUDGET_MS = 10

let stream: AbortController | null = null
let backoffMs = 1000
let lastActivity = 0
let retryTimer: ReturnType<typeof setTimeout> | undefined

function streamState(text: string, cls: '' | 'live' | 'down') {
  const s = $('stream-state')
  s.textContent = text
  s.className = `stream-state ${cls || 'muted'}`
}

/** Watches for a silent stream; call once. */
export function initStreamWatch(): void {
  setInterval(() => {
    if (stream && lastActivity && Date.now() - lastActivity > SILENCE_MS) {
      lastActivity = 0
      void connectLog()
    }
  }, 5000)
}

export function disconnectLog(): void {
  clearTimeout(retryTimer)
  stream?.abort()
  stream = null
  lastActivity = 0
}

/** (Re)connects the stream of the pipeline on screen; the view starts over with its replay. */
export async function connectLog(): Promise<void> {
  const pipeline = currentPipeline()
  disconnectLog()
  if (!pipeline) return
  const ctrl = new AbortController()
  stream = ctrl
  const mine = () => stream === ctrl && isCurrent(pipeline)
  streamState('connecting…', '')
  try {
    const res = await fetch(apiUrl(`${pipeline.base}/logs/stream?lines=${INITIAL_LINES}`), {
      headers: authHeaders({ Accept: 'text/event-stream' }),
      signal: ctrl.signal,
      cache: 'no-store',
    })
    if (res.status === 401) {
      await askForToken(await readDetail(res))
      if (mine()) void connectLog()
      return
    }
    if (!res.ok || !res.body) throw new Error(await readDetail(res))
    // The stream starts with a replay of the last lines: start from a clean view.
    clearLogView()
    streamState('live', 'live')
    backoffMs = 1000
    lastActivity = Date.now()
    // Every chunk counts as a sign of life, heartbeat comments included (the parser skips those).
    const body = res.body.pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, out) {
          lastActivity = Date.now()
          out.enqueue(chunk)
        },
      }),
    )
    await readMessages(body, mine)
  } catch (err) {
    if (err instanceof AuthCancelled) {
      streamState('not signed in', 'down')
      return
    }
  }
  if (!mine()) return // replaced on purpose
  streamState(`reconnecting in ${Math.round(backoffMs / 1000)} s…`, 'down')
  retryTimer = setTimeout(() => {
    if (mine()) void connectLog()
  }, backoffMs)
  backoffMs = Math.min(backoffMs * 2, 15_000)
}

async function readMessages(body: ReadableStream<Uint8Array>, mine: () => boolean) {
  let slice = performance.now()
  for await (const message of parseSse(body)) {
    if (!mine()) return
    if (message.event === 'clear') clearLogView(`The log was cleared at ${formatClock(new Date())}.`)
    else if (message.event === 'message') {
      const lines = message.data.split('\n')
      addLines(lines)
      // A run or a step began or ended: show it in the status now, not at the next poll.
      if (lines.some(isProgressLine)) refreshSoon()
    }
    // Chunks that queued up meanwhile are parsed without a pause: yield now and then, or a
    // flood would be parsed in one long task and the page would not answer.
    if (performance.now() - slice > FRAME_BUDGET_MS) {
      await new Promise((r) => setTimeout(r, 0))
      slice = performance.now()
    }
  }
}
