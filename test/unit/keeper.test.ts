/**
 * The keeper (src/control/keeper.ts) with the REAL link, controller, supervisor and scheduler
 * over a memory machine: a daemon killed with SIGKILL comes back after its back-off, a daemon that
 * keeps dying is given up on, and a server that starts resumes (or, told so, stops) what was running.
 */
import { describe, expect, it } from 'vitest'
import type { MemorySystem } from '../fakes/system.js'
import { waitFor } from '../helpers/wait.js'
import { req } from './http.js'
import { EVERY_MINUTE, pidOf, QUIET, systemsPerTest } from './systems.js'

const system = systemsPerTest()

/**
 * The keeper's sleeps: each back-off (200 ms and more) is recorded and waits until the test lets
 * it go (or goes at once with `auto`); the start-up poll (1 ms) just passes.
 */
function backoffs(o: { auto?: boolean } = {}) {
  const waits: { ms: number; go: () => void }[] = []
  const sleep = (ms: number) =>
    ms < 100 ? new Promise<void>((resolve) => setTimeout(resolve, ms)) : new Promise<void>((resolve) => (waits.push({ ms, go: resolve }), o.auto && resolve()))
  return { waits, sleep }
}

/** Waits until this server is connected to the daemon of launch `index` and sees the pipeline. */
function connectedTo(s: MemorySystem, index: number) {
  return waitFor(() => {
    const launch = s.machine.launches[index]
    return launch && s.link.daemon()?.pid === launch.pid && s.link.live('default') ? launch : null
  }, { what: `the server to reach daemon #${index + 1}` })
}

const metric = async (s: MemorySystem, name: string) => (await req(s.app, 'GET', '/metrics')).text.match(new RegExp(`^${name} (\\S+)$`, 'm'))?.[1]

describe('a daemon killed while the server runs', () => {
  it('is launched again after the first back-off, and resumes the pipeline on its grid - SIGKILL during a run', async () => {
    const b = backoffs()
    const s = system({ scripts: { extract: { hang: true } }, keeper: { sleep: b.sleep } })
    const pid = pidOf(await s.controller.start(EVERY_MINUTE))
    const step = await waitFor(() => s.runner.spawned[0])
    const before = s.link.live('default')!
    s.table.procs.signal(pid, 'SIGKILL')
    const wait = await waitFor(() => b.waits[0], { what: 'the back-off' })
    expect(wait.ms).toBe(200)
    expect(s.machine.launches).toHaveLength(1)
    wait.go()
    const next = await connectedTo(s, 1)
    expect(await s.controller.status()).toMatchObject({ is_running: true, pid: next.pid, schedule: EVERY_MINUTE.schedule, next_run_at: before.next_run_at })
    expect(s.link.live('default')!.anchor).toBe(before.anchor)
    // The new daemon ended what the dead one left: its step, and the run it was in.
    expect(s.table.signalsTo(step.pid)).toEqual(['SIGSTOP', 'SIGKILL'])
    expect(await s.runs.get(before.current_run!.id)).toMatchObject({ status: 'abandoned', reason: 'the daemon died during the run' })
    expect(s.logFile.text).toContain(`Daemon died unexpectedly (PID: ${pid}); restarting it (restart 1 of 5 allowed per minute)`)
    expect(s.logFile.text).toMatch(new RegExp(`\\] Daemon resumed after restart \\(PID: ${next.pid}, `))
    expect(s.keeper.restarts()).toBe(1)
    expect(await metric(s, 'pipeline_cron_daemon_restarts_total')).toBe('1')
    expect(await metric(s, 'pipeline_cron_daemon_crash_loop')).toBe('0')
  })

  it('keeps the pipeline paused - paused, then the daemon killed', async () => {
    const s = system({ keeper: { sleep: backoffs({ auto: true }).sleep } })
    const pid = pidOf(await s.controller.start(QUIET))
    await s.controller.pause()
    s.table.procs.signal(pid, 'SIGKILL')
    await connectedTo(s, 1)
    expect(await s.controller.status()).toMatchObject({ is_running: true, paused: true })
  })

  it('is given up on after five restarts in a minute, saying why in status, log and metrics - a daemon that keeps dying', async () => {
    const b = backoffs({ auto: true })
    const s = system({ keeper: { sleep: b.sleep } })
    await s.controller.start(QUIET)
    for (let k = 1; k <= 5; k++) {
      s.table.procs.signal(s.link.daemon()!.pid, 'SIGKILL')
      await connectedTo(s, k)
    }
    const last = s.link.daemon()!.pid
    s.table.procs.signal(last, 'SIGKILL')
    const loop = await waitFor(() => s.keeper.crashLoop(), { what: 'the keeper to give up' })
    const detail = 'Daemon died 6 times within 60s; not restarted (start a pipeline to try again)'
    expect(loop).toMatchObject({ restarts: 5, detail })
    expect(b.waits.map((w) => w.ms)).toEqual([200, 500, 1000, 2000, 4000, 4000])
    expect(s.machine.launches).toHaveLength(6)
    expect(await s.controller.status()).toMatchObject({ is_running: false, message: detail })
    expect(s.logFile.text).toContain(`${detail} (last PID: ${last})`)
    expect(await metric(s, 'pipeline_cron_daemon_crash_loop')).toBe('1')
    expect(s.keeper.restarts()).toBe(5)
  })

  it('starts afresh and clears the crash loop - start after the keeper gave up', async () => {
    const s = system({ keeper: { sleep: backoffs({ auto: true }).sleep, maxRestarts: 1 } })
    await s.controller.start(QUIET)
    s.table.procs.signal(s.link.daemon()!.pid, 'SIGKILL')
    await connectedTo(s, 1)
    s.table.procs.signal(s.link.daemon()!.pid, 'SIGKILL')
    await waitFor(() => s.keeper.crashLoop())
    const r = await s.controller.start(EVERY_MINUTE)
    expect(r).toEqual({ ok: true, pid: s.machine.launches[2]!.pid })
    expect(s.keeper.crashLoop()).toBeNull()
    expect((await s.desired.read()).value).toMatchObject({ state: 'started', run_immediately: true })
    expect(await s.controller.status()).toMatchObject({ is_running: true, message: `Daemon is running (PID: ${r.pid})` })
    expect(await metric(s, 'pipeline_cron_daemon_crash_loop')).toBe('0')
  })

  it('restarts nothing - the daemon exited because its last pipeline stopped', async () => {
    const b = backoffs()
    const s = system({ keeper: { sleep: b.sleep } })
    await s.controller.start(QUIET)
    await s.controller.stop('cancel')
    const wait = await waitFor(() => b.waits[0], { what: 'the keeper to notice the daemon is gone' })
    const looked = spyOn(s.machine, 'desiredStates')
    wait.go()
    // The keeper reads what should run under the lock; once it has let the lock go, it is done.
    await waitFor(() => looked.calls > 0 && s.machine.lock.holder === null, { what: 'the keeper to finish' })
    expect(s.machine.launches).toHaveLength(1)
    expect(s.keeper.restarts()).toBe(0)
  })

  it('is launched again once - two servers on the state dir see it die', async () => {
    const a = system({ keeper: { sleep: backoffs({ auto: true }).sleep } })
    const b = system({ machine: a.machine, keeper: { sleep: backoffs({ auto: true }).sleep } })
    const pid = pidOf(await a.controller.start(QUIET))
    await b.controller.status()
    expect(b.link.daemon()?.pid).toBe(pid)
    a.table.procs.signal(pid, 'SIGKILL')
    const next = await connectedTo(a, 1)
    await waitFor(() => b.link.daemon()?.pid === next.pid && a.machine.lock.holder === null, { what: 'both servers to be done' })
    expect(a.machine.launches).toHaveLength(2)
    expect(a.keeper.restarts() + b.keeper.restarts()).toBe(1)
  })
})

describe('server start', () => {
  /** A first server starts the pipeline; then it and its daemon go away (a reboot), leaving a step behind. */
  async function afterReboot() {
    const first = system({ scripts: { extract: { hang: true } } })
    const pid = pidOf(await first.controller.start(EVERY_MINUTE))
    const step = await waitFor(() => first.runner.spawned[0])
    const live = first.link.live('default')!
    first.close()
    first.table.procs.signal(pid, 'SIGKILL')
    await first.machine.launches[0]!.settled
    return { machine: first.machine, step, live }
  }

  it('resumes what was started, on its grid, after ending what the dead daemon left - resume at init', async () => {
    const { machine, step, live } = await afterReboot()
    const s = system({ machine })
    await s.init()
    expect(s.launcher.launches).toHaveLength(1)
    expect(await s.controller.status()).toMatchObject({ is_running: true, pid: s.launcher.launches[0]!.pid, next_run_at: live.next_run_at })
    expect(s.table.signalsTo(step.pid)).toEqual(['SIGSTOP', 'SIGKILL'])
    expect(await s.runs.get(live.current_run!.id)).toMatchObject({ status: 'abandoned', reason: 'the daemon died during the run' })
    expect(s.logFile.text).toMatch(/\] Daemon resumed after restart \(PID: \d+, interval: 60 seconds, pipeline: test-pipeline, 3 steps\)\n$/)
  })

  it('marks what was started stopped and says so in its log, launching nothing - --no-resume', async () => {
    const { machine, step, live } = await afterReboot()
    const s = system({ machine, keeper: { resume: false } })
    await s.init()
    expect(s.launcher.launches).toEqual([])
    expect((await s.desired.read()).value!.state).toBe('stopped')
    expect(s.logFile.text).toMatch(/\] Not resumed after restart \(--no-resume\): the pipeline is stopped\n$/)
    expect(await s.controller.status()).toMatchObject({ is_running: false, message: 'Daemon is not running' })
    expect(s.table.isAlive(step.pid)).toBe(false)
    expect(await s.runs.get(live.current_run!.id)).toMatchObject({ status: 'abandoned' })
  })

  it('connects to the daemon that runs on and launches nothing - server restart', async () => {
    const first = system()
    const pid = pidOf(await first.controller.start(QUIET))
    first.close()
    const s = system({ machine: first.machine })
    await s.init()
    expect(s.launcher.launches).toEqual([])
    expect(await s.controller.status()).toMatchObject({ is_running: true, pid })
    expect(s.table.signals).toEqual([])
  })

  it('launches nothing - nothing was started', async () => {
    const s = system()
    await s.init()
    expect(s.launcher.launches).toEqual([])
  })
})

/** Counts calls of `object[method]`, still calling it. */
function spyOn<T extends object, K extends keyof T>(object: T, method: K) {
  const spy = { calls: 0 }
  const original = object[method] as (...args: unknown[]) => unknown
  ;(object as Record<K, unknown>)[method] = (...args: unknown[]) => {
    spy.calls++
    return original.apply(object, args)
  }
  return spy
}
