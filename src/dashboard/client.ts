/**
 * The dashboard's browser script. It is served as this function's own source
 * (`(${dashboardClient})()`), so it is type-checked with the rest of the code but must stay
 * self-contained: no imports, no references to anything outside its body.
 * Every URL is relative (`./api/...`) so the page works wherever the app is mounted.
 */
export function dashboardClient(): void {
  type Json = any
  type RunRecord = {
    id: string
    trigger: string
    status: string
    reason?: string
    started_at: string
    finished_at: string | null
    duration_ms: number | null
    steps: { name: string; status: string; exit_code: number | null; signal: string | null; duration_ms: number; error?: string }[]
  }

  const TOKEN_KEY = 'pipeline-cron.token'
  const MAX_RENDERED = Number(document.body.dataset.maxLines) || 5000
  // Lines kept in memory for the filter; trimmed in bulk so pushing stays O(1) amortised.
  const MAX_KEPT = MAX_RENDERED * 10
  const INITIAL_LINES = 1000
  const STATUS_EVERY_MS = 2000
  const STATUS_BUSY_EVERY_MS = 1000
  const STREAM_SILENCE_MS = 45_000
  const FRAME_BUDGET_MS = 10
  const CHUNK_LINES = 200
  const STATUS_TEXT: Record<string, string> = {
    success: '✓ success',
    failed: '✗ failed',
    timed_out: '⏱ timed out',
    cancelled: '⊘ cancelled',
    skipped: '↷ skipped',
    abandoned: '⚠ abandoned',
    running: '▶ running',
  }

  const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T
  const el = <K extends keyof HTMLElementTagNameMap>(tag: K, cls?: string, text?: string) => {
    const e = document.createElement(tag)
    if (cls) e.className = cls
    if (text !== undefined) e.textContent = text
    return e
  }
  const url = (path: string) => new URL(path, document.baseURI).toString()

  // ---------------------------------------------------------------------------------------------
  // API access with the token prompt: a 401 asks for the token once, then the call is retried.
  // ---------------------------------------------------------------------------------------------

  class AuthCancelled extends Error {}
  let tokenPrompt: Promise<void> | null = null
  let authBlocked = false

  const getToken = () => {
    try {
      return sessionStorage.getItem(TOKEN_KEY)
    } catch {
      return null
    }
  }
  const authHeaders = (extra: Record<string, string> = {}) => {
    const token = getToken()
    return token ? { ...extra, Authorization: `Bearer ${token}` } : extra
  }

  function askForToken(detail: string): Promise<void> {
    if (authBlocked) return Promise.reject(new AuthCancelled())
    tokenPrompt ??= new Promise<void>((resolve, reject) => {
      const dialog = $<HTMLDialogElement>('token-dialog')
      const input = $<HTMLInputElement>('token-input')
      const error = $('token-error')
      const hadToken = !!getToken()
      error.textContent = hadToken ? `The server refused the token: ${detail}` : detail
      error.hidden = false
      input.setAttribute('aria-invalid', String(hadToken))
      input.value = ''
      const done = (ok: boolean) => {
        dialog.removeEventListener('close', onClose)
        $('token-cancel').removeEventListener('click', onCancel)
        tokenPrompt = null
        if (ok) {
          sessionStorage.setItem(TOKEN_KEY, input.value.trim())
          input.value = ''
          authBlocked = false
          renderAuth()
          resolve()
        } else {
          authBlocked = true
          renderAuth()
          reject(new AuthCancelled())
        }
      }
      const onClose = () => done(dialog.returnValue === 'ok' && input.value.trim() !== '')
      const onCancel = () => {
        dialog.returnValue = 'cancel'
        dialog.close()
      }
      dialog.addEventListener('close', onClose)
      $('token-cancel').addEventListener('click', onCancel)
      dialog.returnValue = ''
      dialog.showModal()
      input.focus()
    })
    return tokenPrompt
  }

  function renderAuth() {
    $('forget-token').hidden = !getToken()
    $('sign-in').hidden = !authBlocked
    if (authBlocked) {
      setBadge('Sign in needed', 's-down')
      notice('The API needs a token. Choose “Sign in” to enter it.', true)
    }
  }

  async function readError(res: Response): Promise<string> {
    const text = await res.text().catch(() => '')
    try {
      const body = JSON.parse(text)
      if (body && typeof body.detail === 'string') return body.detail
    } catch {
      // not JSON
    }
    return text.trim() || `HTTP ${res.status}`
  }

  /** One API call; the answer's JSON (or null) with its status. Throws AuthCancelled or network errors. */
  async function api(method: string, path: string, body?: unknown): Promise<{ ok: boolean; status: number; data: Json; res: Response }> {
    for (;;) {
      const headers = authHeaders({ Accept: 'application/json' })
      if (body !== undefined) headers['Content-Type'] = 'application/json'
      const res = await fetch(url(path), {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        cache: 'no-store',
      })
      if (res.status === 401) {
        await askForToken(await readError(res))
        continue
      }
      const text = await res.text()
      let data: Json = null
      try {
        data = text ? JSON.parse(text) : null
      } catch {
        data = { detail: text }
      }
      return { ok: res.ok, status: res.status, data, res }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Formatting
  // ---------------------------------------------------------------------------------------------

  const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' })
  const timeOnly = new Intl.DateTimeFormat(undefined, { timeStyle: 'medium' })
  const numFmt = new Intl.NumberFormat()

  function fmtTime(iso: string | null | undefined): string {
    if (!iso) return '–'
    const d = new Date(iso)
    return d.toDateString() === new Date().toDateString() ? timeOnly.format(d) : dateTime.format(d)
  }
  function timeEl(iso: string | null | undefined): HTMLElement {
    if (!iso) return el('span', 'muted', '–')
    const t = el('time', '', fmtTime(iso))
    t.setAttribute('datetime', iso)
    t.title = iso
    return t
  }
  function fmtDuration(ms: number | null | undefined): string {
    if (ms == null || !Number.isFinite(ms)) return '–'
    if (ms < 1000) return `${Math.round(ms)} ms`
    const s = ms / 1000
    if (s < 60) return `${s.toFixed(s < 10 ? 2 : 1)} s`
    const m = Math.floor(s / 60)
    if (m < 60) return `${m} min ${String(Math.floor(s % 60)).padStart(2, '0')} s`
    return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min`
  }
  function fmtCountdown(ms: number): string {
    if (ms <= 500) return 'due now'
    const total = Math.round(ms / 1000)
    const h = Math.floor(total / 3600)
    const m = Math.floor((total % 3600) / 60)
    const s = total % 60
    const mm = h ? String(m).padStart(2, '0') : String(m)
    return `in ${h ? `${h}:` : ''}${mm}:${String(s).padStart(2, '0')}`
  }
  function badge(status: string): HTMLElement {
    return el('span', `badge s-${status}`, STATUS_TEXT[status] ?? status)
  }
  function describeSchedule(s: Json): string {
    if (!s) return '–'
    if (s.type === 'interval') return `every ${numFmt.format(s.interval_seconds)} s`
    return `cron ${s.cron}${s.timezone ? ` (${s.timezone})` : ''}`
  }
  function failingStep(run: RunRecord): string {
    if (run.status === 'skipped') return run.reason ?? 'skipped'
    if (run.status === 'success' || run.status === 'running') return ''
    const step = run.steps.find((s) => s.status !== 'success')
    if (step) return `${step.name}${step.exit_code != null ? ` (exit ${step.exit_code})` : step.signal ? ` (${step.signal})` : ''}`
    return run.reason ?? ''
  }

  // Server clock minus ours, from the Date header, so countdowns are right on a skewed client.
  let skewMs = 0
  const serverNow = () => Date.now() + skewMs

  // ---------------------------------------------------------------------------------------------
  // Status: polled, and refreshed at once when a log line says a run or step began or ended.
  // ---------------------------------------------------------------------------------------------

  let status: Json = null
  let statusTimer: ReturnType<typeof setTimeout> | undefined
  let lastRunKey = ''

  function setBadge(text: string, cls: string) {
    const b = $('state-badge')
    b.textContent = text
    b.className = `badge big ${cls}`
  }

  async function refreshStatus() {
    clearTimeout(statusTimer)
    try {
      const r = await api('GET', './api/cron/status')
      if (r.ok) {
        const date = r.res.headers.get('Date')
        if (date) {
          const skew = Date.parse(date) + 500 - Date.now()
          skewMs = Math.abs(skew) > 2000 ? skew : 0
        }
        status = r.data
        renderStatus()
        const key = `${status.last_run?.id ?? ''}|${status.last_run?.status ?? ''}|${status.current_run?.id ?? ''}`
        if (key !== lastRunKey) {
          lastRunKey = key
          void refreshRuns()
        }
      } else {
        notice(r.data?.detail ?? `Status failed: HTTP ${r.status}`, true)
      }
    } catch (err) {
      if (err instanceof AuthCancelled) return
      setBadge('Server unreachable', 's-down')
    }
    statusTimer = setTimeout(refreshStatus, status?.current_run ? STATUS_BUSY_EVERY_MS : STATUS_EVERY_MS)
  }

  let soonTimer: ReturnType<typeof setTimeout> | undefined
  function refreshSoon() {
    clearTimeout(soonTimer)
    soonTimer = setTimeout(() => void refreshStatus(), 150)
  }

  function renderStatus() {
    const s = status
    if (!s) return
    const running = !!s.is_running
    const current = s.current_run
    setBadge(running ? (current ? '▶ Running a pipeline' : '● Running') : '■ Stopped', running ? 's-up' : 's-down')
    $('f-message').textContent = s.message
    $('f-pid').textContent = s.pid ?? '–'
    $('f-schedule').textContent = describeSchedule(s.schedule)
    $('f-started').replaceChildren(timeEl(s.started_at))

    const last = s.last_run
    const lastEl = $('f-last')
    if (last) {
      const parts: (Node | string)[] = [badge(last.status), ' ']
      if (last.finished_at) parts.push('finished ', timeEl(last.finished_at), `, took ${fmtDuration(last.duration_ms)}`)
      else parts.push('started ', timeEl(last.started_at))
      lastEl.replaceChildren(...parts)
    } else lastEl.textContent = 'none yet'

    ;($('start') as HTMLButtonElement).disabled = running
    ;($('stop') as HTMLButtonElement).disabled = !running
    ;($('run-now') as HTMLButtonElement).disabled = !running || !!current
    document.title = `${running ? (current ? '▶' : '●') : '■'} pipeline-cron: ${running ? (current ? `step ${current.index}/${current.total}` : 'running') : 'stopped'}`
    tick()
  }

  /** The parts of the status that move with the clock: countdown and elapsed times. */
  function tick() {
    const s = status
    if (!s) return
    const next = $('f-next')
    if (s.next_run_at) {
      const at = Date.parse(s.next_run_at)
      const cd = el('span', 'countdown', fmtCountdown(at - serverNow()))
      next.replaceChildren(cd, ' (', timeEl(s.next_run_at), ')')
    } else next.textContent = s.is_running ? 'not scheduled' : '–'

    const current = s.current_run
    const cur = $('f-current')
    if (current) {
      const stepElapsed = current.step_started_at ? serverNow() - Date.parse(current.step_started_at) : null
      const runElapsed = serverNow() - Date.parse(current.started_at)
      const line = el('div')
      line.append(
        el('strong', '', `Step ${current.index} of ${current.total}`),
        current.step ? `: ${current.step}` : '',
        stepElapsed != null ? `, ${fmtDuration(Math.max(0, stepElapsed))} elapsed` : '',
      )
      const prog = el('progress')
      prog.max = current.total
      prog.value = Math.max(0, current.index - 1)
      prog.setAttribute('aria-label', `Step ${current.index} of ${current.total}`)
      const sub = el('div', 'muted', `${current.trigger === 'manual' ? 'Manual' : 'Scheduled'} run, ${fmtDuration(Math.max(0, runElapsed))} so far`)
      cur.replaceChildren(line, prog, sub)
    } else cur.textContent = s.is_running ? 'idle' : '–'
  }

  // ---------------------------------------------------------------------------------------------
  // Controls
  // ---------------------------------------------------------------------------------------------

  const form = $<HTMLFormElement>('start-form')
  const fields = ['interval', 'cron', 'timezone'] as const
  const fieldOf: Record<string, (typeof fields)[number]> = { interval_seconds: 'interval', cron: 'cron', timezone: 'timezone' }

  function notice(text: string, isError = false) {
    const n = $('notice')
    n.textContent = text
    n.classList.toggle('error', isError)
  }

  function clearFieldErrors() {
    for (const f of fields) {
      $(`${f}-error`).hidden = true
      $(`${f}-error`).textContent = ''
      $(f).removeAttribute('aria-invalid')
    }
    $('form-error').hidden = true
  }

  /** Puts the API's detail next to the field it names (`interval_seconds: must be ...`). */
  function showStartError(detail: string) {
    const m = /^([a-z_]+): /.exec(detail)
    const field = m ? fieldOf[m[1]!] : undefined
    if (field) {
      const err = $(`${field}-error`)
      err.textContent = detail
      err.hidden = false
      const input = $(field)
      input.setAttribute('aria-invalid', 'true')
      input.focus()
    } else {
      const err = $('form-error')
      err.textContent = detail
      err.hidden = false
    }
  }

  function mode(): 'interval' | 'cron' {
    return (form.elements.namedItem('mode') as RadioNodeList).value === 'cron' ? 'cron' : 'interval'
  }
  function renderMode() {
    const m = mode()
    for (const part of form.querySelectorAll<HTMLElement>('[data-mode]')) part.hidden = part.dataset.mode !== m
  }
  form.addEventListener('change', (e) => {
    const t = e.target as HTMLInputElement
    if (t.name === 'mode') {
      renderMode()
      // Cron schedules wait for their time by default; interval ones run at once.
      $<HTMLInputElement>('run-immediately').checked = mode() === 'interval'
      clearFieldErrors()
    }
  })

  form.addEventListener('submit', async (e) => {
    e.preventDefault()
    clearFieldErrors()
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
    await action($('start') as HTMLButtonElement, 'POST', './api/cron/start', body, showStartError)
  })

  $('stop').addEventListener('click', () => void action($('stop') as HTMLButtonElement, 'POST', './api/cron/stop'))
  $('run-now').addEventListener('click', () => void action($('run-now') as HTMLButtonElement, 'POST', './api/cron/run'))
  $('clear-logs').addEventListener('click', () => {
    const dialog = $<HTMLDialogElement>('clear-dialog')
    dialog.returnValue = ''
    dialog.showModal()
  })
  $('clear-dialog').addEventListener('close', () => {
    if ($<HTMLDialogElement>('clear-dialog').returnValue === 'confirm') {
      void action($('clear-logs') as HTMLButtonElement, 'DELETE', './api/cron/logs')
    }
    $('clear-logs').focus()
  })

  async function action(button: HTMLButtonElement, method: string, path: string, body?: unknown, onError?: (detail: string) => void) {
    const label = button.textContent
    button.disabled = true
    button.setAttribute('aria-busy', 'true')
    notice(`${label?.replace('…', '')}: working…`)
    try {
      const r = await api(method, path, body)
      if (r.ok) notice(r.data?.message ?? 'Done')
      else {
        const detail = r.data?.detail ?? `HTTP ${r.status}`
        if (onError && r.status === 400) {
          notice('')
          onError(detail)
        } else notice(detail, true)
      }
    } catch (err) {
      notice(err instanceof AuthCancelled ? 'Not signed in: the API needs a token.' : `Request failed: ${String(err)}`, true)
    } finally {
      button.removeAttribute('aria-busy')
      button.disabled = false
      await refreshStatus()
    }
  }

  $('forget-token').addEventListener('click', () => {
    sessionStorage.removeItem(TOKEN_KEY)
    renderAuth()
    notice('Token forgotten for this tab.')
  })
  $('sign-in').addEventListener('click', () => {
    authBlocked = false
    renderAuth()
    notice('')
    restartAll()
  })

  // ---------------------------------------------------------------------------------------------
  // Live log: fetch + reader over the SSE stream (so the token header can be sent), batched
  // rendering per animation frame, the DOM capped at MAX_RENDERED lines.
  // ---------------------------------------------------------------------------------------------

  const logEl = $('log')
  const jump = $<HTMLButtonElement>('jump')
  const filterInput = $<HTMLInputElement>('log-filter')
  let all: string[] = []
  let pending: string[] = []
  let total = 0
  let frame = 0
  let rendered = 0
  let stick = true
  let unseen = 0
  let filter = ''

  // Lines re-wrap when the box changes width: whenever a size changes, stay at the bottom if sticking.
  const sizes = new ResizeObserver(() => {
    if (stick) logEl.scrollTop = logEl.scrollHeight
  })
  sizes.observe(logEl)

  const matches = (line: string) => !filter || line.toLowerCase().includes(filter)

  function lineEl(text: string): HTMLElement {
    const d = el('div', 'line', text)
    // A step's lines carry a mark: whatever they say, they never read as the daemon's markers.
    const step = /^\[[^\]]*\] \[(stdout|stderr)\] /.exec(text)
    if (step) {
      if (step[1] === 'stderr') d.classList.add('stderr')
    } else if (text.includes('========== ')) d.classList.add(/finished: (?!success)|execution (failed|cancelled)/.test(text) ? 'bad' : 'marker')
    else if (/\] \[\d+\/\d+\] .* (failed|timed out|cancelled)\b/.test(text)) d.classList.add('bad')
    return d
  }

  function addLines(lines: string[]) {
    for (const line of lines) {
      all.push(line)
      pending.push(line)
      // A run or a step began or ended: show it in the status now, not at the next poll.
      if (line.includes('==========') || /\] \[\d+\/\d+\] /.test(line)) refreshSoon()
    }
    total += lines.length
    if (all.length > MAX_KEPT * 1.5) all = all.slice(-MAX_KEPT)
    // Only the newest MAX_RENDERED lines can end up on screen: older pending ones are skipped.
    if (pending.length > MAX_RENDERED * 2) pending = pending.slice(-MAX_RENDERED)
    if (!frame) frame = requestAnimationFrame(flush)
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
        jump.textContent = `Jump to latest (${numFmt.format(unseen)} new)`
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
    let text = `${numFmt.format(shown)} line${shown === 1 ? '' : 's'} shown`
    if (filter) text += ` matching “${filter}”`
    else if (total > shown) text += ` of ${numFmt.format(total)} received`
    if (kept < total && filter) text += ` (searching the last ${numFmt.format(kept)})`
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

  function clearLogView(note?: string) {
    all = []
    pending = []
    total = 0
    emptyLog()
    logEl.dataset.empty = note ?? 'No log lines yet.'
    stickToBottom()
    renderLogInfo()
  }

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

  let filterTimer: ReturnType<typeof setTimeout> | undefined
  filterInput.addEventListener('input', () => {
    clearTimeout(filterTimer)
    filterTimer = setTimeout(() => {
      filter = filterInput.value.trim().toLowerCase()
      rerender()
    }, 120)
  })

  let stream: AbortController | null = null
  let backoffMs = 1000
  let lastActivity = 0

  function streamState(text: string, cls: '' | 'live' | 'down') {
    const s = $('stream-state')
    s.textContent = text
    s.className = `stream-state ${cls || 'muted'}`
  }

  async function connectStream() {
    stream?.abort()
    const ctrl = new AbortController()
    stream = ctrl
    streamState('connecting…', '')
    try {
      const res = await fetch(url(`./api/cron/logs/stream?lines=${INITIAL_LINES}`), {
        headers: authHeaders({ Accept: 'text/event-stream' }),
        signal: ctrl.signal,
        cache: 'no-store',
      })
      if (res.status === 401) {
        await askForToken(await readError(res))
        if (stream === ctrl) void connectStream()
        return
      }
      if (!res.ok || !res.body) throw new Error(await readError(res))
      // The stream starts with a replay of the last lines: start from a clean view.
      clearLogView()
      streamState('live', 'live')
      backoffMs = 1000
      lastActivity = Date.now()
      await readEvents(res.body, ctrl)
    } catch (err) {
      if (err instanceof AuthCancelled) {
        streamState('not signed in', 'down')
        return
      }
      if (stream !== ctrl) return // replaced on purpose
    }
    if (stream !== ctrl) return
    streamState(`reconnecting in ${Math.round(backoffMs / 1000)} s…`, 'down')
    setTimeout(() => {
      if (stream === ctrl) void connectStream()
    }, backoffMs)
    backoffMs = Math.min(backoffMs * 2, 15_000)
  }

  /**
   * A small Server-Sent Events parser: `data:` lines make a message, `event: clear` clears,
   * `event: missed` (the server dropped lines the page had not taken yet) leaves a note.
   */
  async function readEvents(body: ReadableStream<Uint8Array>, ctrl: AbortController) {
    const reader = body.getReader()
    const decoder = new TextDecoder()
    ctrl.signal.addEventListener('abort', () => void reader.cancel().catch(() => {}))
    let buf = ''
    let event = ''
    let data: string[] = []
    const batch: string[] = []
    let slice = performance.now()
    for (;;) {
      const { value, done } = await reader.read()
      if (done) return
      lastActivity = Date.now()
      buf += decoder.decode(value, { stream: true })
      let start = 0
      for (let nl = buf.indexOf('\n', start); nl !== -1; nl = buf.indexOf('\n', start)) {
        let line = buf.slice(start, nl)
        start = nl + 1
        if (line.endsWith('\r')) line = line.slice(0, -1)
        if (line === '') {
          if (event === 'clear') {
            batch.length = 0
            clearLogView(`The log was cleared at ${timeOnly.format(new Date())}.`)
          } else if (event === 'missed') batch.push(`… ${/\d+/.exec(data[0] ?? '')?.[0] ?? 'some'} lines skipped (the page fell behind)`)
          else if (data.length === 1) batch.push(data[0]!)
          else if (data.length) batch.push(...data.join('\n').split('\n'))
          event = ''
          data = []
          continue
        }
        if (line[0] === ':') continue
        const colon = line.indexOf(':')
        const field = colon === -1 ? line : line.slice(0, colon)
        let v = colon === -1 ? '' : line.slice(colon + 1)
        if (v[0] === ' ') v = v.slice(1)
        if (field === 'data') data.push(v)
        else if (field === 'event') event = v
      }
      buf = buf.slice(start)
      if (batch.length) {
        addLines(batch)
        batch.length = 0
      }
      // Chunks that queued up meanwhile resolve read() at once: yield now and then, or a flood
      // would be parsed in one long task and the page would not answer.
      if (performance.now() - slice > FRAME_BUDGET_MS) {
        await new Promise((r) => setTimeout(r, 0))
        slice = performance.now()
      }
    }
  }

  // A proxy can drop a connection silently; heartbeats come every 15 s, so silence means gone.
  setInterval(() => {
    if (stream && lastActivity && Date.now() - lastActivity > STREAM_SILENCE_MS) {
      lastActivity = 0
      void connectStream()
    }
  }, 5000)

  // ---------------------------------------------------------------------------------------------
  // Run history: table, duration chart, details with the run's own log.
  // ---------------------------------------------------------------------------------------------

  let runs: RunRecord[] = []
  let selected: string | null = null
  let runsBusy = false
  let runsAgain = false

  async function refreshRuns() {
    if (runsBusy) {
      runsAgain = true
      return
    }
    runsBusy = true
    try {
      const r = await api('GET', './api/cron/runs?limit=60')
      if (r.ok) {
        const before = selected ? runs.find((x) => x.id === selected) : undefined
        runs = r.data.runs
        renderRuns()
        renderChart()
        const after = selected ? runs.find((x) => x.id === selected) : undefined
        if (after && before && (after.status !== before.status || after.steps.length !== before.steps.length)) void showRun(after.id, false)
      }
    } catch {
      // the status poll reports an unreachable server
    } finally {
      runsBusy = false
      if (runsAgain) {
        runsAgain = false
        void refreshRuns()
      }
    }
  }

  function renderRuns() {
    const body = $('runs-body')
    if (!runs.length) {
      const td = el('td', 'muted', 'No runs yet.')
      td.colSpan = 5
      const tr = el('tr')
      tr.append(td)
      body.replaceChildren(tr)
      return
    }
    const rows = runs.map((run) => {
      const tr = el('tr')
      tr.dataset.id = run.id
      if (run.id === selected) tr.classList.add('selected')
      const open = el('button', 'link', fmtTime(run.started_at))
      open.type = 'button'
      open.setAttribute('aria-controls', 'run-detail')
      open.setAttribute('aria-expanded', String(run.id === selected))
      open.setAttribute('aria-label', `Run started ${fmtTime(run.started_at)}, ${run.status}: show steps and log`)
      const cells: [HTMLElement | string, string][] = [
        [badge(run.status), ''],
        [run.trigger, 'hide-narrow'],
        [open, ''],
        [fmtDuration(run.duration_ms ?? (run.status === 'running' ? serverNow() - Date.parse(run.started_at) : null)), 'num'],
        [failingStep(run), 'wrap'],
      ]
      for (const [content, cls] of cells) {
        const td = el('td', cls)
        td.append(content)
        tr.append(td)
      }
      return tr
    })
    body.replaceChildren(...rows)
  }

  $('runs-body').addEventListener('click', (e) => {
    const tr = (e.target as HTMLElement).closest('tr')
    if (tr?.dataset.id) void showRun(tr.dataset.id, true)
  })

  const SVG = 'http://www.w3.org/2000/svg'
  function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number>) {
    const e = document.createElementNS(SVG, tag)
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v))
    return e
  }

  function renderChart() {
    const chart = $('chart') as unknown as SVGSVGElement
    const width = Math.max(200, Math.round(chart.getBoundingClientRect().width) || 600)
    const height = 150
    const left = 52
    const bottom = 18
    const top = 8
    const data = runs.slice(0, 50).reverse()
    chart.setAttribute('viewBox', `0 0 ${width} ${height}`)
    const durations = data.map((r) => r.duration_ms ?? (r.status === 'running' ? serverNow() - Date.parse(r.started_at) : 0))
    const max = Math.max(1, ...durations)
    const plotH = height - top - bottom
    const parts: SVGElement[] = []
    for (const f of [0, 0.5, 1]) {
      const y = top + plotH * (1 - f)
      parts.push(svg('line', { class: 'grid', x1: left, x2: width, y1: y, y2: y }))
      const label = svg('text', { x: left - 6, y: y + 4, 'text-anchor': 'end' })
      label.textContent = fmtDuration(max * f)
      parts.push(label)
    }
    const slot = (width - left - 4) / Math.max(data.length, 12)
    const barW = Math.max(3, Math.min(28, slot * 0.72))
    data.forEach((run, i) => {
      const h = Math.max(2, (durations[i]! / max) * plotH)
      const rect = svg('rect', {
        class: `bar f-${run.status}${run.id === selected ? ' selected' : ''}`,
        x: (left + 4 + i * slot + (slot - barW) / 2).toFixed(1),
        y: (top + plotH - h).toFixed(1),
        width: barW.toFixed(1),
        height: h.toFixed(1),
        rx: 2,
        'data-id': run.id,
      })
      const title = svg('title', {})
      title.textContent = `${run.status}, ${fmtDuration(durations[i])}, ${fmtTime(run.started_at)}`
      rect.append(title)
      parts.push(rect)
    })
    if (!data.length) {
      const t = svg('text', { x: width / 2, y: height / 2, 'text-anchor': 'middle' })
      t.textContent = 'No runs yet'
      parts.push(t)
    }
    chart.replaceChildren(...parts)
    const counts: Record<string, number> = {}
    for (const r of data) counts[r.status] = (counts[r.status] ?? 0) + 1
    $('chart-desc').textContent = data.length
      ? `Durations of the last ${data.length} runs, oldest on the left, longest ${fmtDuration(max)}: ${Object.entries(counts)
          .map(([k, n]) => `${n} ${k.replace('_', ' ')}`)
          .join(', ')}.`
      : 'No runs yet.'
  }

  $('chart').addEventListener('click', (e) => {
    const id = (e.target as Element).getAttribute('data-id')
    if (id) void showRun(id, true)
  })
  new ResizeObserver(() => renderChart()).observe($('chart-wrap'))

  async function showRun(id: string, focus: boolean) {
    selected = id
    renderRuns()
    renderChart()
    const detail = $('run-detail')
    detail.hidden = false
    const heading = $('run-detail-h')
    heading.textContent = `Run ${id}`
    if (focus) heading.focus()
    const enc = encodeURIComponent(id)
    try {
      const [run, log] = await Promise.all([api('GET', `./api/cron/runs/${enc}`), api('GET', `./api/cron/runs/${enc}/logs`)])
      if (selected !== id) return
      if (run.ok) {
        const r = run.data as RunRecord
        $('run-detail-summary').replaceChildren(
          badge(r.status),
          ` ${r.trigger === 'manual' ? 'Manual' : 'Scheduled'} run, started `,
          timeEl(r.started_at),
          r.finished_at ? `, took ${fmtDuration(r.duration_ms)}` : '',
          r.reason ? `. ${r.reason}` : '',
        )
        const rows = r.steps.map((s) => {
          const tr = el('tr')
          const cells: [HTMLElement | string, string][] = [
            [s.name, 'wrap'],
            [badge(s.status), ''],
            [s.exit_code == null ? '–' : String(s.exit_code), 'num'],
            [s.signal ?? '–', 'hide-narrow'],
            [fmtDuration(s.duration_ms), 'num'],
          ]
          for (const [c, cls] of cells) {
            const td = el('td', cls)
            td.append(c)
            tr.append(td)
          }
          if (s.error) tr.title = s.error
          return tr
        })
        if (!rows.length) {
          const td = el('td', 'muted', 'No steps ran.')
          td.colSpan = 5
          const tr = el('tr')
          tr.append(td)
          rows.push(tr)
        }
        $('run-steps').replaceChildren(...rows)
      } else $('run-detail-summary').textContent = run.data?.detail ?? `HTTP ${run.status}`
      const runLog = $('run-log')
      if (log.ok) {
        const lines = String(log.data.logs).split('\n')
        if (lines[lines.length - 1] === '') lines.pop()
        const shown = lines.slice(-MAX_RENDERED)
        const frag = document.createDocumentFragment()
        if (shown.length < lines.length) frag.append(el('div', 'line note', `Showing the last ${numFmt.format(shown.length)} of ${numFmt.format(lines.length)} lines.`))
        for (const line of shown) frag.append(lineEl(line))
        runLog.replaceChildren(frag)
      } else runLog.replaceChildren(el('div', 'line note', log.data?.detail ?? `HTTP ${log.status}`))
    } catch (err) {
      if (!(err instanceof AuthCancelled)) $('run-detail-summary').textContent = `Request failed: ${String(err)}`
    }
  }

  $('run-detail-close').addEventListener('click', () => {
    const id = selected
    selected = null
    $('run-detail').hidden = true
    renderRuns()
    renderChart()
    const btn = id ? document.querySelector<HTMLElement>(`#runs-body tr[data-id="${CSS.escape(id)}"] button`) : null
    btn?.focus()
  })

  // ---------------------------------------------------------------------------------------------
  // Start-up
  // ---------------------------------------------------------------------------------------------

  function restartAll() {
    void refreshStatus()
    void refreshRuns()
    void connectStream()
  }

  try {
    const zones = (Intl as unknown as { supportedValuesOf?: (k: string) => string[] }).supportedValuesOf?.('timeZone') ?? []
    const list = $('timezones')
    list.replaceChildren(...zones.map((z) => Object.assign(el('option'), { value: z })))
  } catch {
    // an old browser: no suggestions
  }
  renderMode()
  renderAuth()
  setInterval(tick, 500)
  document.addEventListener('visibilitychange', () => {
    if (!document.hidden) void refreshStatus()
  })
  restartAll()
}
