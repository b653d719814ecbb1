/**
 * The daemon: one detached process per state dir that runs the schedules of every started
 * pipeline. API servers connect over the control channel; the daemon answers their requests and
 * pushes each pipeline's state to all of them on every change. It starts with the first started
 * pipeline and exits when the last one stops.
 */
import type { Connection, ControlChannel, JsonFile, Listener } from '../ports.js'
import type { DaemonClaim, DaemonSettings, DesiredState, Message, PipelineLive, Request } from './protocol.js'
import { decode, requestSchema } from './protocol.js'
import type { Reconciled } from '../control/reconcile.js'
import type { Pipeline } from '../pipeline.js'
import type { RunRecord } from '../ports.js'
import type { PipelineScheduler, RunNowOutcome } from './scheduler.js'

export interface SupervisorOptions {
  settings: DaemonSettings
  pid: number
  channel: ControlChannel
  /** STATE_DIR/daemon.json. */
  claim: JsonFile<DaemonClaim>
  /** Tells whether the pid of an existing claim is a live daemon of ours. */
  isLiveDaemon: (claim: DaemonClaim) => Promise<boolean>
  /** Every pipeline's desired state found in the state dir. */
  desiredStates: () => Promise<DesiredState[]>
  /** Ends what a dead daemon left of a pipeline (its `running` run, its orphans, its state file). */
  reconcile: (desired: DesiredState) => Promise<Reconciled>
  /** Builds the scheduler of one pipeline; without `pipeline`, its file is read (and validated: a ConfigError). */
  openPipeline: (desired: DesiredState, onChange: (live: PipelineLive) => void, pipeline?: Pipeline) => Promise<PipelineScheduler>
  /** A line for the daemon's own diagnostics (its stderr file). */
  report: (line: string) => void
  /** A line in one pipeline's own log (where its operator looks). */
  note?: (desired: DesiredState, text: string) => void
  now?: () => Date
  /** How often the daemon checks it still owns its claim and its socket. */
  watchMs?: number
  /** A daemon that was launched but given nothing to run exits after this long. */
  idleExitMs?: number
}

export interface Supervisor {
  /** Claims the state dir and starts what should run; false when another daemon holds it. */
  start(): Promise<boolean>
  /** Stops every pipeline (cancel) without changing what should run: used on SIGTERM. */
  shutdown(reason: string): Promise<void>
  /** Settles when the daemon is done and may exit. */
  readonly done: Promise<void>
}

export function createSupervisor(options: SupervisorOptions): Supervisor {
  const now = options.now ?? (() => new Date())
  const pipelines = new Map<string, PipelineScheduler>()
  const starting = new Set<string>()
  const connections = new Set<Connection>()
  const startedAt = now().toISOString()
  let listener: Listener | null = null
  let watchTimer: ReturnType<typeof setInterval> | null = null
  let idleTimer: ReturnType<typeof setTimeout> | null = null
  let closing: Promise<void> | null = null
  let finish!: () => void
  const done = new Promise<void>((resolve) => (finish = resolve))
  const claim: DaemonClaim = { pid: options.pid, instance_id: options.settings.instance_id, runtime: options.settings.runtime, started_at: startedAt }
  // Requests that change one pipeline run one at a time per pipeline, in arrival order.
  const queues = new Map<string, Promise<unknown>>()

  function broadcast(message: Message) {
    const line = JSON.stringify(message)
    for (const connection of connections) connection.send(line)
  }

  function publish(name: string, live: PipelineLive | null) {
    broadcast({ type: 'pipeline', name, live })
  }

  async function claimStateDir(): Promise<boolean> {
    if (await options.claim.create(claim)) return true
    const existing = await options.claim.read()
    if (existing.value && (await options.isLiveDaemon(existing.value))) return false
    // Left by a daemon that died (or garbled): take it over.
    await options.claim.remove()
    return options.claim.create(claim)
  }

  /** Starts what `desired` says, with the pipeline it carries (as checked at its start), else its file. */
  async function startPipeline(desired: DesiredState, resumed: boolean, abandoned: RunRecord[] = []): Promise<void> {
    const name = desired.home.name
    starting.add(name)
    cancelIdleExit()
    try {
      // Until its start is done (history read, state written) a pipeline is neither pushed nor
      // in a hello: servers never see it half started.
      let ready = false
      const scheduler = await options.openPipeline(desired, (live) => ready && publish(name, live), desired.pipeline && withName(desired.pipeline))
      await scheduler.start({ resumed, abandoned })
      ready = true
      pipelines.set(name, scheduler)
      publish(name, scheduler.live())
    } finally {
      starting.delete(name)
    }
  }

  async function handle(request: Request): Promise<Message> {
    const reply = (extra: { run_id?: string; survivors?: number[] } = {}): Message => ({ type: 'reply', id: request.id, ok: true, ...extra })
    const refuse = (refusal: Extract<Message, { ok: false }>['refusal'], detail: string): Message => ({ type: 'reply', id: request.id, ok: false, refusal, detail })
    if (request.op === 'hello') return reply()
    if (closing) return refuse('stopping', 'Daemon is shutting down')
    if (request.op === 'start') {
      const name = request.desired.home.name
      if (pipelines.has(name) || starting.has(name)) return refuse('already_running', `Daemon is already running (PID: ${options.pid})`)
      try {
        await startPipeline(request.desired, false)
      } catch (err) {
        pipelines.delete(name)
        return refuse('failed', (err as Error).message)
      }
      return reply()
    }
    const scheduler = pipelines.get(request.pipeline)
    if (!scheduler) return refuse('not_running', 'Daemon is not running')
    if (request.op === 'run') {
      // The server has given up on this answer and told its caller no run started: keep it so.
      if (request.expires_at !== undefined && now().getTime() > request.expires_at) return refuse('expired', 'The request came too late; no run was started')
      return runNowReply(request.id, await scheduler.runNow())
    }
    if (request.op === 'pause' || request.op === 'resume') {
      const problem = request.op === 'pause' ? scheduler.pause() : scheduler.resume()
      return problem ? refuse(problem.refusal, problem.detail) : reply()
    }
    const { survivors } = await scheduler.stop(request.mode)
    pipelines.delete(request.pipeline)
    publish(request.pipeline, null)
    return reply({ survivors })
  }

  function runNowReply(id: number, outcome: RunNowOutcome): Message {
    return outcome.ok
      ? { type: 'reply', id, ok: true, run_id: outcome.runId }
      : { type: 'reply', id, ok: false, refusal: outcome.refusal, detail: outcome.detail }
  }

  /** Requests for one pipeline wait for the one before; other pipelines are never held up. */
  function serialised(request: Request): Promise<Message> {
    const key = request.op === 'hello' ? '' : request.op === 'start' ? request.desired.home.name : request.pipeline
    const previous = queues.get(key) ?? Promise.resolve()
    const next = previous.then(() => handle(request))
    const settled = next.catch(() => undefined)
    queues.set(key, settled)
    void settled.then(() => {
      if (queues.get(key) === settled) queues.delete(key)
    })
    return next
  }

  async function serve(connection: Connection) {
    connections.add(connection)
    connection.send(JSON.stringify(helloMessage()))
    try {
      for await (const line of connection.messages) {
        const request = decode(requestSchema, line)
        if (!request) continue
        void serialised(request).then(
          (message) => {
            connection.send(JSON.stringify(message))
            // Only once the reply is out: exiting closes every connection.
            if (request.op === 'stop' || request.op === 'start') exitIfIdle()
          },
          (err) => {
            options.report(`request ${request.op} failed: ${(err as Error).message}`)
            connection.send(JSON.stringify({ type: 'reply', id: request.id, ok: false, refusal: 'failed', detail: (err as Error).message }))
          },
        )
      }
    } finally {
      connections.delete(connection)
    }
  }

  function helloMessage(): Message {
    const live: Record<string, PipelineLive> = {}
    for (const [name, scheduler] of pipelines) live[name] = scheduler.live()
    return { type: 'hello', pid: options.pid, instance_id: claim.instance_id, runtime: claim.runtime, started_at: startedAt, pipelines: live }
  }

  function exitIfIdle() {
    if (pipelines.size === 0 && starting.size === 0 && !closing) void close()
  }

  function armIdleExit() {
    idleTimer = setTimeout(exitIfIdle, options.idleExitMs ?? 10_000)
  }

  function cancelIdleExit() {
    if (idleTimer) clearTimeout(idleTimer)
    idleTimer = null
  }

  /** Someone removed our claim or our socket: take them back, or stop if another daemon has the claim. */
  async function watchOwnership() {
    const seen = await options.claim.read().catch(() => null)
    if (!seen) return
    if (seen.value === null && !('corrupt' in seen)) {
      if (await options.claim.create(claim)) options.report('daemon.json was removed; claimed it again')
    } else if (seen.value && seen.value.instance_id !== claim.instance_id) {
      await shutdown(`another daemon (PID: ${seen.value.pid}) claimed the state dir`)
      return
    }
    if (listener && (await listener.rebindIfLost())) options.report('the control socket was removed; listening again')
  }

  async function close() {
    closing ??= (async () => {
      cancelIdleExit()
      if (watchTimer) clearInterval(watchTimer)
      // The listener's close waits for open connections: end them first.
      for (const connection of connections) connection.close()
      await listener?.close()
      const held = await options.claim.read().catch(() => null)
      if (held?.value?.instance_id === claim.instance_id) await options.claim.remove()
      finish()
    })()
    return closing
  }

  async function shutdown(reason: string) {
    options.report(`shutting down: ${reason}`)
    const all = [...pipelines.entries()]
    await Promise.all(
      all.map(async ([name, scheduler]) => {
        await scheduler.stop('cancel', reason)
        pipelines.delete(name)
      }),
    )
    await close()
  }

  return {
    done,
    shutdown,
    async start() {
      if (!(await claimStateDir())) return false
      listener = await options.channel.listen((connection) => void serve(connection))
      watchTimer = setInterval(() => void watchOwnership().catch((err) => options.report(`ownership check failed: ${(err as Error).message}`)), options.watchMs ?? 1000)
      for (const desired of await options.desiredStates()) {
        const left = await options.reconcile(desired).catch((err): Reconciled => {
          options.report(`cleanup of ${desired.home.name} failed: ${(err as Error).message}`)
          return { live: false, abandoned: [] }
        })
        if (desired.state !== 'started') continue
        const abandoned = left.live ? [] : left.abandoned
        // What was started, as it was checked then: not the file, which may have changed since.
        await startPipeline(desired, true, abandoned).catch((err) => {
          const why = (err as Error).message
          options.report(`could not resume ${desired.home.name}: ${why}`)
          options.note?.(desired, `Could not resume the pipeline after a restart: ${why}. It is not running; the daemon tries again at its next start. Start it again once the cause is fixed, or stop it to drop it.`)
        })
      }
      if (pipelines.size === 0) armIdleExit()
      return true
    },
  }
}

/** The file's content as parsed: a pipeline without a `name` is called `pipeline`, as parsePipeline does. */
function withName(parsed: Omit<Pipeline, 'name'> & { name?: string }): Pipeline {
  return { ...parsed, name: parsed.name ?? 'pipeline' }
}
