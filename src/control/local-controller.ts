/**
 * One pipeline's CronController in the local mode: start, stop, pause and resume write the
 * pipeline's desired state under the lock and ask the daemon over the control channel; status is
 * answered from the state the daemon pushes. A pid is signalled only after /proc says it is ours.
 */
import { ApiError } from '../errors.js'
import type { CronController, DaemonStatus, JsonFile, LastRun, Lock, ProcessControl, RunHistory, StopMode } from '../ports.js'
import { LockTimeoutError } from '../ports.js'
import type { DesiredState, PipelineHome, PipelineLive, PipelineStateFile, Reply } from '../daemon/protocol.js'
import type { Pipeline } from '../pipeline.js'
import { sweepTree } from '../daemon/sweep.js'
import { createTicker, nextRuns } from '../schedule.js'
import type { DaemonInfo, DaemonLink } from './daemon-link.js'
import { earlierDaemonMessage, findEarlierDaemon, stopEarlierDaemon, type EarlierState } from './earlier-daemon.js'
import type { Keeper } from './keeper.js'
import { abandonRunning, reconcilePipeline } from './reconcile.js'

export interface LocalControllerOptions {
  home: PipelineHome
  link: DaemonLink
  keeper: Keeper
  lock: Lock
  procs: ProcessControl
  desired: JsonFile<DesiredState>
  state: JsonFile<PipelineStateFile>
  /** The same state.json read as pipeline-cron 0.1 wrote it: a 0.1 daemon may still run there. */
  earlierState?: JsonFile<EarlierState>
  runs: RunHistory
  /** Reads and validates the pipeline file (sent along with the start); throws a ConfigError with a one-line message. */
  loadPipeline: () => Promise<Pipeline>
  /** Appends a line to the pipeline's log. */
  note?: (text: string) => void
  /** The daemon's grace for a cancelled step; a stop waits this long plus a slack. */
  graceMs: number
  drainTimeoutMs: number
  /** How long run-now waits for the daemon to say which run it started. */
  answerTimeoutMs?: number
  now?: () => Date
  sleep?: (ms: number) => Promise<void>
}

const STOP_SLACK_MS = 5000

const NOT_RUNNING: DaemonStatus = {
  is_running: false,
  pid: null,
  message: 'Daemon is not running',
  paused: false,
  schedule: null,
  started_at: null,
  next_run_at: null,
  next_runs: [],
  current_run: null,
  last_run: null,
}

export function createLocalController(options: LocalControllerOptions): CronController {
  const now = options.now ?? (() => new Date())
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)))
  const name = options.home.name
  const answerTimeoutMs = options.answerTimeoutMs ?? 5000
  // The last finished run while no daemon pushes it: read once, then kept current by the pushes.
  let lastRunCache: { value: LastRun | null } | null = null
  // The last status of a running pipeline and the pushed state it was made from.
  let answered: { live: PipelineLive; daemon: DaemonInfo; status: DaemonStatus } | null = null
  options.link.onChange((changed) => {
    const live = options.link.live(name)
    if ((changed === name || changed === null) && live) lastRunCache = { value: live.last_run }
  })

  async function locked<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await options.lock.withLock(fn)
    } catch (err) {
      if (err instanceof LockTimeoutError) throw new ApiError(503, `Busy: ${err.message}`)
      if (err instanceof ApiError || !(err instanceof Error) || err.name === 'ConfigError') throw err
      // e.g. "EROFS: read-only file system, open '/srv/state/lock'": the cause and the path.
      throw new ApiError(500, `Could not ${what} the daemon: ${err.message}`)
    }
  }

  /** What a dead daemon left of this pipeline is cleaned; true while a live daemon of ours holds it. */
  async function cleanLeftovers(): Promise<boolean> {
    const result = await reconcilePipeline({ state: options.state, runs: options.runs, procs: options.procs, note: options.note, now }, 'the daemon died during the run')
    if (!result.live) lastRunCache = null
    return result.live
  }

  async function writeDesired(patch: Partial<DesiredState> & Pick<DesiredState, 'state'>) {
    const read = await options.desired.read()
    const base = read.value
    if (!base && patch.state === 'stopped') return
    await options.desired.write({ ...(base as DesiredState), ...patch, home: options.home, updated_at: now().toISOString() })
  }

  /** A pipeline-cron 0.1 daemon that still runs this pipeline (its state.json, in 0.1's shape, names it). */
  async function earlierDaemon(): Promise<EarlierState | null> {
    return options.earlierState ? findEarlierDaemon(options.earlierState, options.procs) : null
  }

  /** Why a pipeline is not running while the daemon is: started on disk before the daemon began, it could not be resumed. */
  async function notResumed(daemon: DaemonInfo): Promise<string> {
    const desired = (await options.desired.read()).value
    if (desired?.state !== 'started' || Date.parse(desired.updated_at) >= Date.parse(daemon.started_at)) return NOT_RUNNING.message
    return `Not running: the daemon (PID: ${daemon.pid}) could not resume it after a restart; its log says why. Start it again, or stop it to drop it`
  }

  async function lastRun(): Promise<LastRun | null> {
    if (!lastRunCache) {
      const last = (await options.runs.list(50)).find((r) => r.status !== 'running' && r.status !== 'skipped')
      lastRunCache = { value: last ? { id: last.id, status: last.status, started_at: last.started_at, finished_at: last.finished_at, duration_ms: last.duration_ms } : null }
    }
    return lastRunCache.value
  }

  /** The daemon did not answer a stop: kill it (it is checked to be ours), then this pipeline's tree. */
  async function force(instanceId: string): Promise<number[]> {
    const daemon = options.link.daemon()
    if (daemon && (await options.procs.identify(daemon.pid, daemon.instance_id)) === 'ours') options.procs.signal(daemon.pid, 'SIGKILL')
    const { killed, left: survivors } = await sweepTree(options.procs, instanceId)
    await options.state.remove().catch(() => undefined)
    await abandonRunning({ runs: options.runs, now }, 'the daemon was killed after it did not stop in time')
    lastRunCache = null
    return [...killed, ...survivors]
  }

  async function waitForExit(pid: number, instanceId: string, ms: number) {
    const deadline = now().getTime() + ms
    while ((await options.procs.identify(pid, instanceId)) === 'ours' && now().getTime() < deadline) await sleep(20)
  }

  return {
    start(request) {
      return locked('start', async () => {
        await options.link.connect(true)
        const running = options.link.live(name)
        if (running) return { ok: false, reason: 'already_running', pid: options.link.daemon()!.pid }
        const earlier = await earlierDaemon()
        if (earlier) return { ok: false, reason: 'already_running', pid: earlier.pid }
        if (await cleanLeftovers()) throw new ApiError(503, 'The daemon holds this pipeline but does not answer; try again')
        const pipeline = await options.loadPipeline()
        // Started on disk but run by no daemon (the keeper gave up): a daemon launched now must not
        // resume it before this start does.
        if ((await options.desired.read()).value?.state === 'started') await writeDesired({ state: 'stopped' })
        const daemon = await options.keeper.ensureDaemon()
        // Taken once the daemon is up, so that the run at start and the ticks share one grid.
        const at = now().toISOString()
        const desired: DesiredState = { state: 'started', home: options.home, schedule: request.schedule, run_immediately: request.runImmediately, anchor: at, paused: false, updated_at: at, pipeline }
        await options.desired.write(desired)
        const reply = await options.link.ask({ op: 'start', desired }, 15_000)
        if (reply?.ok) return { ok: true, pid: daemon.pid }
        await writeDesired({ state: 'stopped' })
        if (reply && reply.refusal === 'already_running') return { ok: false, reason: 'already_running', pid: daemon.pid }
        // A daemon left with nothing to run exits: the failed start answers once it is gone.
        if (options.link.running().length === 0) await waitForExit(daemon.pid, daemon.instance_id, 2000)
        throw new ApiError(500, `Daemon failed to start: ${reply ? reply.detail : 'the daemon did not answer'}`)
      })
    },

    stop(mode: StopMode) {
      return locked('stop', async () => {
        await options.link.connect(true)
        const live = options.link.live(name)
        const daemon = options.link.daemon()
        if (!live || !daemon) {
          const earlier = await earlierDaemon()
          if (earlier) {
            const { survivors, forced } = await stopEarlierDaemon(earlier, { procs: options.procs, graceMs: options.graceMs, sleep, now: () => now().getTime() })
            await options.state.remove().catch(() => undefined)
            return { ok: true, pid: earlier.pid, survivors, forced }
          }
          await cleanLeftovers()
          await writeDesired({ state: 'stopped' })
          return { ok: false, reason: 'not_running' }
        }
        await writeDesired({ state: 'stopped' })
        const waitMs = (mode === 'drain' ? options.drainTimeoutMs : 0) + options.graceMs + STOP_SLACK_MS
        const reply: Reply | null = await options.link.ask({ op: 'stop', pipeline: name, mode }, waitMs)
        if (!reply?.ok) {
          const survivors = await force(live.instance_id)
          return { ok: true, pid: daemon.pid, survivors, forced: true }
        }
        // The daemon exits with its last pipeline: the answer waits for it to be gone.
        if (options.link.running().length === 0) await waitForExit(daemon.pid, daemon.instance_id, 2000)
        // Whatever of the tree is still alive now survived the daemon's own sweep (a pid it
        // reported may survive ours too: listed once).
        const late = await sweepTree(options.procs, live.instance_id)
        const survivors = [...new Set([...(reply.survivors ?? []), ...late.killed, ...late.left])]
        return { ok: true, pid: daemon.pid, survivors, forced: false }
      })
    },

    async status(): Promise<DaemonStatus> {
      // Another server may have started the daemon since we last looked.
      await options.link.connect()
      const live = options.link.live(name)
      const daemon = options.link.daemon()
      if (!live || !daemon) {
        // Nothing of ours runs it: a state file left behind is stale (cleaned only under the lock,
        // so a concurrent start is never undone). Without one, nothing is read but this file.
        const seen = await options.state.read()
        const earlier = 'corrupt' in seen ? await earlierDaemon() : null
        if (earlier) return { ...NOT_RUNNING, is_running: true, pid: earlier.pid, message: earlierDaemonMessage(earlier.pid), started_at: earlier.started_at, last_run: await lastRun() }
        if (seen.value || 'corrupt' in seen) await options.lock.withLock(() => cleanLeftovers(), 0).catch(() => undefined)
        const loop = options.keeper.crashLoop()
        return { ...NOT_RUNNING, message: loop ? loop.detail : daemon ? await notResumed(daemon) : NOT_RUNNING.message, last_run: await lastRun() }
      }
      // The same pushed state gives the same answer: the next five ticks are worked out once for it.
      if (answered?.live === live && answered.daemon === daemon) return answered.status
      const ticker = createTicker(live.schedule, new Date(live.anchor))
      const upcoming = live.next_run_at ? nextRuns(ticker, new Date(Date.parse(live.next_run_at) - 1), 5) : []
      const state = live.stopping ? 'stopping' : live.paused ? 'paused' : 'running'
      const status: DaemonStatus = {
        is_running: true,
        pid: daemon.pid,
        message: `Daemon is ${state} (PID: ${daemon.pid})`,
        paused: live.paused,
        schedule: live.schedule,
        started_at: live.started_at,
        next_run_at: live.next_run_at,
        next_runs: upcoming.map((d) => d.toISOString()),
        current_run: live.current_run,
        last_run: live.last_run,
      }
      answered = { live, daemon, status }
      return status
    },

    async runNow() {
      await options.link.connect()
      if (!options.link.live(name)) return { ok: false, reason: 'not_running', detail: 'Daemon is not running' }
      const pid = options.link.daemon()?.pid
      // The daemon drops a request it reads after this: a 503 below is never followed by a run.
      const expiresAt = now().getTime() + answerTimeoutMs - 250
      const reply = await options.link.ask({ op: 'run', pipeline: name, expires_at: expiresAt }, answerTimeoutMs)
      if (!reply) throw new ApiError(503, `Daemon did not answer within ${Math.round(answerTimeoutMs / 1000)} s (PID: ${pid}); it may be frozen or overloaded. No run was started.`)
      if (reply.ok) return { ok: true, runId: reply.run_id! }
      return { ok: false, reason: reply.refusal === 'not_running' ? 'not_running' : 'busy', detail: reply.detail }
    },

    pause() {
      return toggle('pause', true)
    },
    resume() {
      return toggle('resume', false)
    },
  }

  function toggle(op: 'pause' | 'resume', paused: boolean) {
    return locked(op, async () => {
      await options.link.connect(true)
      if (!options.link.live(name)) return { ok: false as const, reason: 'not_running' as const, detail: 'Daemon is not running' }
      const reply = await options.link.ask({ op, pipeline: name }, answerTimeoutMs)
      if (!reply) throw new ApiError(503, `The daemon did not answer within ${Math.round(answerTimeoutMs / 1000)} s`)
      if (!reply.ok) return { ok: false as const, reason: 'conflict' as const, detail: reply.detail }
      // Kept on disk, so a restarted daemon (or server) keeps the pipeline paused.
      await writeDesired({ state: 'started', paused })
      return { ok: true as const }
    })
  }
}
