/**
 * Stop leaves nothing behind: a step's background children that left its process group
 * (setsid, nohup, a detached node child, a plain `&` job) and a step that ignores SIGTERM.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it, onTestFinished } from 'vitest'
import { call, daemonPidsOf, fixture, FIXTURES, isAlive, logText, serverWithPipeline, startDaemon, treeOf, waitFor, waitForFile, waitForLog } from './support.js'

/** The pids the spawn-detached fixture wrote; killed at the end of the test whatever happens. */
function escapees(pidFile: string): number[] {
  const pids = readFileSync(pidFile, 'utf8').trim().split('\n').map(Number)
  onTestFinished(() => pids.forEach((p) => isAlive(p) && process.kill(p, 'SIGKILL')))
  return pids
}

describe('stop ends the whole tree', () => {
  it('kills setsid, nohup, & and detached children - stop during the step that started them', async () => {
    const server = await serverWithPipeline((dir) => ({
      name: 'escape',
      steps: [{ name: 'spawner', run: ['/bin/sh', join(FIXTURES, 'spawn-detached.sh'), join(dir, 'children.pids'), '1000'] }],
    }))
    const pidFile = join(server.dir, 'children.pids')
    const { instanceId, pid } = await startDaemon(server)
    await waitForFile(`${pidFile}.ready`)
    const children = escapees(pidFile)
    expect(children).toHaveLength(4)
    for (const c of children) expect(isAlive(c), `child ${c} alive before stop`).toBe(true)
    // They all carry the instance marker, and at least one left the step's group and session.
    for (const c of children) expect(treeOf(instanceId)).toContain(c)

    const res = await call(server.url, 'POST', '/api/cron/stop')
    expect(res.status, res.text).toBe(200)
    expect(res.body.message).toBe('Daemon stopped successfully')
    for (const c of children) expect(isAlive(c), `child ${c} alive after stop`).toBe(false)
    expect(isAlive(pid)).toBe(false)
    expect(treeOf(instanceId)).toEqual([])
    expect(daemonPidsOf(server.stateDir)).toEqual([])

    const runs = (await call(server.url, 'GET', '/api/cron/runs')).body.runs
    expect(runs[0]).toMatchObject({ status: 'cancelled', steps: [{ name: 'spawner', status: 'cancelled' }] })
    expect(logText(server)).toMatch(/\[1\/1\] spawner cancelled/)
  })

  it('kills children a finished step left behind - stop during a later step', async () => {
    const server = await serverWithPipeline((dir) => ({
      name: 'leftovers',
      steps: [
        { name: 'spawner', run: ['/bin/sh', join(FIXTURES, 'spawn-detached.sh'), join(dir, 'children.pids'), '0'] },
        { name: 'sleeper', run: fixture('sleep.mjs', '60', join(dir, 'sleeper.pid')) },
      ],
    }))
    const pidFile = join(server.dir, 'children.pids')
    const sleeperPid = join(server.dir, 'sleeper.pid')
    const { instanceId } = await startDaemon(server)
    const stepPid = Number(await waitForFile(sleeperPid))
    const children = escapees(pidFile)
    expect(children).toHaveLength(4)
    await waitForLog(server, /\[1\/2\] spawner finished: exit 0/)

    const res = await call(server.url, 'POST', '/api/cron/stop')
    expect(res.status, res.text).toBe(200)
    for (const p of [...children, stepPid]) expect(isAlive(p), `pid ${p} alive after stop`).toBe(false)
    expect(treeOf(instanceId)).toEqual([])
  })

  it('kills a step that ignores SIGTERM after the grace period - stop', async () => {
    // The test server runs with --stop-grace 2.
    const server = await serverWithPipeline((dir) => ({
      name: 'stubborn',
      steps: [{ name: 'stubborn', run: fixture('ignore-sigterm.mjs', join(dir, 'stubborn.pid')) }],
    }))
    const stepPidFile = join(server.dir, 'stubborn.pid')
    const { instanceId } = await startDaemon(server)
    const stepPid = Number(await waitForFile(stepPidFile))
    onTestFinished(() => void (isAlive(stepPid) && process.kill(stepPid, 'SIGKILL')))
    await waitForLog(server, 'ignoring SIGTERM')

    const t0 = Date.now()
    const res = await call(server.url, 'POST', '/api/cron/stop')
    const took = Date.now() - t0
    expect(res.status, res.text).toBe(200)
    expect(isAlive(stepPid)).toBe(false)
    expect(treeOf(instanceId)).toEqual([])
    // It got SIGTERM first (and said so), and SIGKILL only once the 2 s grace had passed.
    expect(logText(server)).toContain('got SIGTERM, ignoring it')
    expect(took).toBeGreaterThanOrEqual(1900)
    expect(took).toBeLessThan(15_000)

    const run = (await call(server.url, 'GET', '/api/cron/runs')).body.runs[0]
    expect(run).toMatchObject({ status: 'cancelled', steps: [{ name: 'stubborn', status: 'cancelled', signal: 'SIGKILL' }] })
    await waitFor(() => daemonPidsOf(server.stateDir).length === 0, { what: 'the daemon to be gone' })
  })
})
