/**
 * The keeper: a started pipeline stays started. The daemon killed with SIGKILL comes back with
 * the same pipelines and schedules; a server restarted after both processes died resumes them
 * (or not, with --no-resume); a daemon that keeps dying is given up on after 5 restarts a minute.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { startServer, type TestServer } from '../helpers/server.js'
import { call, daemonPidsOf, fixture, isAlive, serverForTest, treeOf, waitFor } from './support.js'

const napper = { name: 'napper', steps: [{ name: 'nap', run: fixture('sleep.mjs', '60') }] }
const NAMES = ['a', 'b', 'c'] as const
const THREE = { a: napper, b: napper, c: napper }
const SCHEDULES: Record<string, Record<string, unknown>> = {
  a: { interval_seconds: 3600 },
  b: { interval_seconds: 1800 },
  c: { cron: '0 3 * * *', timezone: 'Europe/Berlin', run_immediately: true },
}

const api = (name: string, path: string) => `/api/pipelines/${name}${path}`

async function startAll(server: TestServer) {
  for (const name of NAMES) {
    const res = await call(server.url, 'POST', api(name, '/start'), { json: SCHEDULES[name] })
    expect(res.status, res.text).toBe(200)
  }
  // Each is in its nap: a run to cut off.
  return waitFor(async () => {
    const list = (await call(server.url, 'GET', '/api/pipelines')).body.pipelines as any[]
    return list.every((p) => p.current_run?.step === 'nap') ? list : null
  }, { what: 'all three pipelines to be in their nap step' })
}

function markerOf(server: TestServer, name: string): string {
  return JSON.parse(readFileSync(join(server.stateDir, 'pipelines', name, 'state.json'), 'utf8')).instance_id
}

async function daemonPid(server: TestServer): Promise<number> {
  return (await call(server.url, 'GET', api('a', '/status'))).body.pid
}

async function kill9(pid: number) {
  process.kill(pid, 'SIGKILL')
  await waitFor(() => !isAlive(pid), { what: `daemon ${pid} to die` })
}

/** The server and its daemon killed with SIGKILL, as a host that loses both would. */
async function killBoth(server: TestServer, daemonPid: number) {
  process.kill(server.pid, 'SIGKILL')
  await kill9(daemonPid)
  await server.close()
}

/** A new server on the same folder (the first one's end of test cleans the folder), closed after `use`. */
async function onSameFolder(first: TestServer, options: { args?: string[] }, use: (server: TestServer) => Promise<void>) {
  const server = await startServer({ ...options, dir: first.dir, pipelines: THREE })
  try {
    await use(server)
  } finally {
    await server.close()
  }
}

async function expectResumed(server: TestServer, before: any[], oldPid: number) {
  await waitFor(async () => {
    // Each status names its daemon: all three in one new daemon (a pid read apart from its
    // is_running could be a null of the moment the old one went).
    const statuses = await Promise.all(NAMES.map(async (name) => (await call(server.url, 'GET', api(name, '/status'))).body))
    const pids = new Set(statuses.map((s) => s.pid))
    return statuses.every((s) => s.is_running) && pids.size === 1 && !pids.has(oldPid)
  }, { timeoutMs: 5000, what: 'every pipeline to run again in a new daemon' })
  const list = (await call(server.url, 'GET', '/api/pipelines')).body.pipelines as any[]
  for (const name of NAMES) {
    const was = before.find((p) => p.name === name)
    const is = list.find((p: any) => p.name === name)
    expect(is.schedule, name).toEqual(was.schedule)
    expect(is.last_run, name).toMatchObject({ id: was.current_run.id, status: 'abandoned' })
  }
  expect(daemonPidsOf(server.stateDir)).toHaveLength(1)
}

describe('the keeper', () => {
  it('restarts the daemon within 5 s with the same pipelines and schedules, marking each cut-off run abandoned - daemon killed with SIGKILL, 3 pipelines running', async () => {
    const server = await serverForTest({ pipelines: THREE })
    const before = await startAll(server)
    const markers = NAMES.map((name) => markerOf(server, name))
    const pid = await daemonPid(server)
    const killedAt = Date.now()
    await kill9(pid)
    await expectResumed(server, before, pid)
    expect(Date.now() - killedAt).toBeLessThan(5000)
    // The dead daemon's steps are gone: nothing runs twice beside the new daemon.
    for (const marker of markers) await waitFor(() => treeOf(marker).length === 0, { what: 'the orphaned naps to be killed' })
    for (const name of NAMES) expect(readFileSync(server.logOf(name), 'utf8')).toMatch(/Daemon died unexpectedly \(PID: \d+\); restarting it/)
  })

  it('resumes every started pipeline and logs "resumed after restart" - server and daemon both killed, server started again', async () => {
    const first = await serverForTest({ pipelines: THREE })
    const before = await startAll(first)
    const pid = await daemonPid(first)
    await killBoth(first, pid)
    await onSameFolder(first, {}, async (second) => {
      await expectResumed(second, before, pid)
      for (const name of NAMES) expect(readFileSync(second.logOf(name), 'utf8')).toMatch(/resumed after restart/)
    })
  })

  it('leaves them stopped and says so in their logs - server restarted with --no-resume', async () => {
    const first = await serverForTest({ pipelines: THREE })
    const before = await startAll(first)
    await killBoth(first, await daemonPid(first))
    await onSameFolder(first, { args: ['--no-resume'] }, async (second) => {
      const list = (await call(second.url, 'GET', '/api/pipelines')).body.pipelines as any[]
      for (const name of NAMES) {
        expect(list.find((p) => p.name === name)).toMatchObject({ is_running: false, last_run: { id: before.find((p) => p.name === name).current_run.id, status: 'abandoned' } })
        expect(readFileSync(second.logOf(name), 'utf8')).toMatch(/Not resumed after restart \(--no-resume\)/)
      }
      expect(daemonPidsOf(second.stateDir)).toEqual([])
    })
    // Stopped on disk too: a later server does not bring them back either.
    await onSameFolder(first, {}, async (third) => {
      expect((await call(third.url, 'GET', '/api/pipelines')).body.pipelines.every((p: any) => !p.is_running)).toBe(true)
    })
  })

  it('stays down after 5 restarts within a minute, saying so in status, the log and /metrics, until the next start - daemon killed again and again', async () => {
    const server = await serverForTest({ pipelines: { a: napper } })
    expect((await call(server.url, 'POST', api('a', '/start'), { json: { interval_seconds: 3600 } })).status).toBe(200)
    let pid = await daemonPid(server)
    for (let restart = 1; restart <= 5; restart++) {
      await kill9(pid)
      const old = pid
      pid = await waitFor(async () => {
        const now = (await call(server.url, 'GET', api('a', '/status'))).body
        return now.is_running && now.pid !== old ? now.pid : null
      }, { timeoutMs: 8000, what: `restart ${restart}` })
    }
    await kill9(pid)
    const down = await waitFor(async () => {
      const now = (await call(server.url, 'GET', api('a', '/status'))).body
      return /not restarted/.test(now.message) ? now : null
    }, { timeoutMs: 8000, what: 'the keeper to give up' })
    expect(down).toMatchObject({ is_running: false, pid: null })
    expect(down.message).toMatch(/^Daemon died 6 times within 60s; not restarted/)
    expect(daemonPidsOf(server.stateDir)).toEqual([])
    // The log line is appended as the keeper gives up: at most a moment after status says so.
    await waitFor(() => /Daemon died 6 times within 60s; not restarted/.test(readFileSync(server.logOf('a'), 'utf8')), { what: 'the give-up line in the log' })
    const metrics = (await call(server.url, 'GET', '/metrics')).text
    expect(metrics).toMatch(/^pipeline_cron_daemon_crash_loop 1$/m)
    expect(metrics).toMatch(/^pipeline_cron_daemon_restarts_total 5$/m)
    expect(metrics).toMatch(/^pipeline_cron_daemon_up\{pipeline="a"\} 0$/m)

    // A start clears it.
    const again = await call(server.url, 'POST', api('a', '/start'), { json: { interval_seconds: 3600 } })
    expect(again.status, again.text).toBe(200)
    expect((await call(server.url, 'GET', '/metrics')).text).toMatch(/^pipeline_cron_daemon_crash_loop 0$/m)
  }, 60_000)

  it('resumes them as they were started - one file made invalid and another removed, then the daemon killed with SIGKILL', async () => {
    const server = await serverForTest({ pipelines: THREE })
    const before = await startAll(server)
    writeFileSync(join(server.pipelinesDir, 'b.json'), JSON.stringify({ steps: [{ name: 's1', run: 42 }] }))
    rmSync(join(server.pipelinesDir, 'c.json'))
    const pid = await daemonPid(server)
    await kill9(pid)
    // The file is read again at the next start; a restart brings back what was started.
    await expectResumed(server, before, pid)
    expect(readFileSync(server.logOf('b'), 'utf8')).not.toMatch(/Could not resume/)
  })
})

describe('a pipeline whose file was removed while it runs', () => {
  it('stays listed, answers its status and is stopped with its steps - by a server started after the removal', async () => {
    const first = await serverForTest({ pipelines: THREE })
    const before = await startAll(first)
    const marker = markerOf(first, 'a')
    rmSync(join(first.pipelinesDir, 'a.json'))
    await first.close()
    const second = await startServer({ dir: first.dir, pipelines: { b: napper, c: napper } })
    try {
      const listed = await waitFor(async () => {
        const list = (await call(second.url, 'GET', '/api/pipelines')).body.pipelines as any[]
        return list.find((p) => p.name === 'a') ?? null
      }, { what: 'a in the list of the new server' })
      expect(listed).toMatchObject({ is_running: true, error: 'the pipeline file was removed', current_run: { id: before.find((p) => p.name === 'a').current_run.id } })
      expect((await call(second.url, 'GET', api('a', '/status'))).body).toMatchObject({ is_running: true })
      const stop = await call(second.url, 'POST', api('a', '/stop'))
      expect(stop.status, stop.text).toBe(200)
      await waitFor(() => treeOf(marker).length === 0, { what: "a's nap to be gone" })
      // Stopped without its file: no longer listed, and its name is unknown again.
      const after = (await call(second.url, 'GET', '/api/pipelines')).body.pipelines as any[]
      expect(after.map((p) => p.name)).toEqual(['b', 'c'])
      expect(after.every((p) => p.is_running)).toBe(true)
    } finally {
      await second.close()
    }
  })
})
