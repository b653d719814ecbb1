import { ApiError, ConfigError } from './errors.js'
import type {
  CronController,
  DaemonLauncher,
  DaemonState,
  DaemonStatus,
  LastRun,
  ProcessControl,
  RunHistory,
  StateStore,
  StopMode,
} from './ports.js'
import { LockTimeoutError } from './ports.js'
import { createTicker, nextRuns } from './schedule.js'
import { sweepTree } from './sweep-tree.js'

export interface ControllerOptions {
  state: StateStore
  procs: ProcessControl
  launcher: DaemonLauncher
  runs: RunHistory
  /** Reads and validates the pipeline file; throws a ConfigError with a one-line message. */
  checkPipeline: () => Promise<void>
  /** The daemon's grace for a cancelled step; stop waits this long plus `stopSlackMs`. */
  graceMs: number
  stopSlackMs?: number
  /** How long a drain may wait for the current run before it turns into a cancel. */
  drainTimeoutMs?: number
  startTimeoutMs?: number
  pollMs?: number
  now?: () => Date
  sleep?: (ms: number) => Promise<void>
}

/**
 * The daemon's lifecycle as the API sees it: start, stop, status, run-now. Never signals a
 * pid before `procs.identify` has said it is ours.
 */
export function createController(o: ControllerOptions): CronController {
  const now = o.now ?? (() => new Date())
  const sleep = o.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)))
  const pollMs = o.pollMs ?? 20
  const stopSlackMs = o.stopSlackMs ?? 5000
  const sweep = (instanceId: string, spare: number[]) => sweepTree(o.procs, instanceId, { spare, now: () => now().getTime(), sleep, pollMs })

  /** Reads the state; a dead or foreign pid is stale and, when `clean`, removed. */
  async function liveDaemon(clean: boolean): Promise<DaemonState | null> {
    const read = await o.state.read()
    if ('corrupt' in read) {
      if (clean) await o.state.quarantine()
      return null
    }
    const s = read.state
    if (!s) return null
    if ((await o.procs.identify(s.pid, s.instance_id)) === 'ours') return s
    if (clean) {
      await o.state.remove(s.instance_id)
      await abandonRuns(s.instance_id, 'the daemon died during the run')
      await killOrphans(s)
    }
    return null
  }

  /**
   * Steps of a daemon that died (kill -9, OOM) run on as orphans; they still carry its
   * instance marker, which only its own tree has, so they are ended before a new daemon
   * runs beside them. The recorded pid itself is never signalled: it may be recycled.
   */
  async function killOrphans(s: DaemonState) {
    if (!s.instance_id) return
    await sweep(s.instance_id, [s.pid])
  }

  /** A run left `running` by a daemon that is gone becomes `abandoned`, never running forever. */
  async function abandonRuns(instanceId: string | null, reason: string) {
    const recent = await o.runs.list(20)
    for (const run of recent) {
      if (run.status !== 'running' || (instanceId && run.instance_id !== instanceId)) continue
      const finished = now()
      await o.runs.append({
        ...run,
        status: 'abandoned',
        reason,
        finished_at: finished.toISOString(),
        duration_ms: finished.getTime() - Date.parse(run.started_at),
      })
    }
  }

  async function waitUntilGone(pid: number, instanceId: string, ms: number): Promise<boolean> {
    const deadline = now().getTime() + ms
    while ((await o.procs.identify(pid, instanceId)) === 'ours') {
      if (now().getTime() >= deadline) return false
      await sleep(pollMs)
    }
    return true
  }

  /** Runs `fn` under the lock; a storage error (read-only or full disk) becomes a 500 that says so. */
  async function locked<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await o.state.withLock(fn)
    } catch (err) {
      if (err instanceof LockTimeoutError) throw new ApiError(503, `Busy: ${err.message}`)
      if (err instanceof ApiError || err instanceof ConfigError || !(err instanceof Error)) throw err
      // e.g. "EROFS: read-only file system, open '/srv/state/lock'": the cause and the path.
      throw new ApiError(500, `Could not ${what} the daemon: ${err.message}`)
    }
  }

  /**
   * The daemon records a run's result before it clears `current_run` in its state: a run whose
   * record is already final is over, so status and run-now never report it as in progress.
   */
  async function currentRun(live: DaemonState): Promise<DaemonState['current_run']> {
    const run = live.current_run
    if (!run) return null
    const record = await o.runs.get(run.id)
    return record && record.status !== 'running' ? null : run
  }

  /** Waits (bounded) for the daemon to clear a finished run from its state. */
  async function settled(live: DaemonState | null): Promise<DaemonState | null> {
    const deadline = now().getTime() + 2000
    let s: DaemonState | null = live
    while (s?.current_run && (await currentRun(s)) === null && now().getTime() < deadline) {
      await sleep(pollMs)
      s = await liveDaemon(false)
    }
    return s
  }

  async function lastRun(): Promise<LastRun | null> {
    const runs = await o.runs.list(50)
    const last = runs.find((r) => r.status !== 'running' && r.status !== 'skipped')
    if (!last) return null
    const { id, status, started_at, finished_at, duration_ms } = last
    return { id, status, started_at, finished_at, duration_ms }
  }

  return {
    start(req) {
      return locked('start', async () => {
        const live = await liveDaemon(true)
        if (live) return { ok: false, reason: 'already_running', pid: live.pid }
        await o.checkPipeline()
        const instanceId = crypto.randomUUID()
        const launched = await o.launcher.launch({ instanceId, schedule: req.schedule, runImmediately: req.runImmediately })
        let exit: { code: number | null; stderr: string } | null = null
        void launched.exited.then((e) => (exit = e))
        const deadline = now().getTime() + (o.startTimeoutMs ?? 15_000)
        for (;;) {
          const read = await o.state.read()
          if ('state' in read && read.state?.instance_id === instanceId) {
            return { ok: true, pid: read.state.pid, schedule: req.schedule }
          }
          if (exit) {
            const why = (exit as { stderr: string }).stderr.trim().split('\n').pop() || `exit code ${(exit as { code: number | null }).code}`
            throw new ApiError(500, `Daemon failed to start: ${why}`)
          }
          if (now().getTime() >= deadline) {
            // Only the process we just launched, checked by its instance id, is ended.
            if ((await o.procs.identify(launched.pid, instanceId)) === 'ours') o.procs.signalGroup(launched.pid, 'SIGKILL')
            throw new ApiError(500, 'Daemon failed to start: it did not report ready in time')
          }
          await sleep(pollMs)
        }
      })
    },

    stop(mode: StopMode) {
      return locked('stop', async () => {
        const live = await liveDaemon(true)
        if (!live) return { ok: false, reason: 'not_running' }
        const { pid, instance_id: id } = live
        o.procs.signal(pid, mode === 'drain' ? 'SIGQUIT' : 'SIGTERM')
        let gone = true
        if (mode === 'drain') {
          gone = await waitUntilGone(pid, id, o.drainTimeoutMs ?? 15 * 60_000)
          if (!gone) o.procs.signal(pid, 'SIGTERM')
        }
        if (mode === 'cancel' || !gone) gone = await waitUntilGone(pid, id, o.graceMs + stopSlackMs)
        const forced = !gone
        if (forced) o.procs.signalGroup(pid, 'SIGKILL')
        // Whatever of the tree is still alive now survived the daemon's own cleanup: swept and reported.
        const swept = await sweep(id, forced ? [] : [pid])
        const survivors = [...swept.killed, ...swept.left].sort((a, b) => a - b)
        if (forced || survivors.length) await waitUntilGone(pid, id, 2000)
        await o.state.remove(id)
        if (forced) await abandonRuns(id, 'the daemon was killed after it did not stop in time')
        return { ok: true, pid, survivors, forced }
      })
    },

    async status(): Promise<DaemonStatus> {
      let live = await liveDaemon(false)
      if (!live) {
        // Stale state is cleaned only under the lock, so a concurrent start is never undone.
        await o.state.withLock(() => liveDaemon(true), 0).catch(() => undefined)
        live = null
      }
      const last = await lastRun()
      if (!live) {
        return {
          is_running: false,
          pid: null,
          message: 'Daemon is not running',
          schedule: null,
          started_at: null,
          next_run_at: null,
          next_runs: [],
          current_run: null,
          last_run: last,
        }
      }
      const ticker = createTicker(live.schedule, new Date(live.started_at))
      const upcoming = live.next_run_at ? nextRuns(ticker, new Date(Date.parse(live.next_run_at) - 1), 5) : []
      return {
        is_running: true,
        pid: live.pid,
        message: live.stopping ? `Daemon is stopping (PID: ${live.pid})` : `Daemon is running (PID: ${live.pid})`,
        schedule: live.schedule,
        started_at: live.started_at,
        next_run_at: live.next_run_at,
        next_runs: upcoming.map((d) => d.toISOString()),
        current_run: await currentRun(live),
        last_run: last,
      }
    },

    async runNow() {
      const live = await settled(await liveDaemon(false))
      if (!live) return { ok: false, reason: 'not_running', detail: 'Daemon is not running' }
      if (live.current_run) {
        return { ok: false, reason: 'busy', detail: `A run is in progress (${live.current_run.id})` }
      }
      if (live.stopping) return { ok: false, reason: 'busy', detail: 'Daemon is stopping' }
      const signalledAt = now().getTime()
      o.procs.signal(live.pid, 'SIGUSR2')
      // The daemon publishes the run it started; report its id when it shows up.
      const deadline = signalledAt + 5000
      while (now().getTime() < deadline) {
        const read = await o.state.read()
        const run = 'state' in read ? read.state?.current_run : null
        if (run && run.trigger === 'manual') return { ok: true, runId: run.id }
        const recent = (await o.runs.list(1))[0]
        // A short manual run may already be over: its record is then the newest one.
        if (recent && recent.trigger === 'manual' && Date.parse(recent.started_at) >= signalledAt - 1) {
          return { ok: true, runId: recent.id }
        }
        await sleep(pollMs)
      }
      return { ok: true, runId: null }
    },
  }
}
