/**
 * Stop under hostile steps: children that leave the step's process group every way a shell
 * allows (double fork, setsid, nohup, a new session with children, a respawner), a tree that
 * ignores SIGTERM, and a daemon frozen with SIGSTOP. After stop returns, nothing of the tree
 * is alive, and what the daemon's own cleanup missed is reported as `survivors`.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { call, daemonPidsOf, isAlive, logText, readState, serverWithPipeline, startDaemon, treeOf, waitFor, waitForFile } from '../helpers/real-server.js'
import { FAULT_FIXTURES, faultFixture, killAtEnd, pidsFromFile } from './support.js'

describe('stop under hostile steps', () => {
  it('leaves none alive - stop during a step whose children double fork, setsid, nohup and keep respawning', async () => {
    const server = await serverWithPipeline((dir) => ({
      name: 'escape',
      steps: [{ name: 'escaper', run: ['/bin/sh', join(FAULT_FIXTURES, 'escape-tree.sh'), join(dir, 'escapees.pids')] }],
    }))
    const pidFile = join(server.dir, 'escapees.pids')
    const { pid, instanceId } = await startDaemon(server)
    await waitForFile(`${pidFile}.ready`)
    // The respawner keeps adding children: wait until a few more than the fixed set exist.
    await waitFor(() => readFileSync(pidFile, 'utf8').split('\n').filter(Boolean).length >= 12, { what: 'the respawner to fork a few children' })
    const before = treeOf(instanceId)
    expect(before.length).toBeGreaterThanOrEqual(10)
    // Some of them have left the step's session: only the marker sweep can find those.
    const sessions = new Set(before.map(sessionOf))
    expect(sessions.size).toBeGreaterThan(2)

    const res = await call(server.url, 'POST', '/api/cron/stop')
    expect(res.status, res.text).toBe(200)
    expect(res.body).toMatchObject({ success: true, forced: false, survivors: expect.any(Array) })
    for (const p of res.body.survivors) expect(typeof p).toBe('number')

    const after = pidsFromFile(pidFile).filter(isAlive)
    expect(after, `escapees alive after stop; survivors reported: ${JSON.stringify(res.body.survivors)}`).toEqual([])
    expect(treeOf(instanceId)).toEqual([])
    expect(isAlive(pid)).toBe(false)
    expect(daemonPidsOf(server.stateDir)).toEqual([])
    expect(readState(server)).toBeNull()
    // The daemon's own sweep found the escapees and said so.
    expect(logText(server)).toMatch(/Killed \d+ leftover process\(es\) of the pipeline/)
  })

  it('kills the tree after the grace period - stop during a step that, with its children, ignores SIGTERM (--stop-grace 1)', async () => {
    const server = await serverWithPipeline(
      (dir) => ({
        name: 'stubborn',
        steps: [{ name: 'deaf', run: ['/bin/sh', join(FAULT_FIXTURES, 'ignore-term-tree.sh'), join(dir, 'deaf.pids')] }],
      }),
      { args: ['--stop-grace', '1'] },
    )
    const pidFile = join(server.dir, 'deaf.pids')
    const { instanceId } = await startDaemon(server)
    await waitForFile(`${pidFile}.ready`)
    const deaf = pidsFromFile(pidFile)
    expect(deaf).toHaveLength(3)

    const t0 = Date.now()
    const res = await call(server.url, 'POST', '/api/cron/stop')
    const took = Date.now() - t0
    expect(res.status, res.text).toBe(200)
    // SIGTERM is ignored, so the daemon waits its grace (1 s) and then SIGKILLs the group; it does
    // not need the API's own forced kill (grace + 5 s).
    expect(took).toBeGreaterThanOrEqual(900)
    expect(took).toBeLessThan(5500)
    expect(res.body.forced).toBe(false)
    for (const p of deaf) expect(isAlive(p), `pid ${p} alive after stop`).toBe(false)
    expect(treeOf(instanceId)).toEqual([])
    const runs = (await call(server.url, 'GET', '/api/cron/runs')).body.runs
    expect(runs[0]).toMatchObject({ status: 'cancelled', steps: [{ name: 'deaf', status: 'cancelled', signal: 'SIGKILL' }] })
  })

  it('forces the daemon and reports the steps it left as survivors - stop while the daemon is frozen (SIGSTOP)', async () => {
    const server = await serverWithPipeline(
      (dir) => ({
        name: 'frozen',
        steps: [{ name: 'nap', run: faultFixture('signal-recorder.mjs', join(dir, 'nap.pid'), join(dir, 'nap.signals'), '60') }],
      }),
      { args: ['--stop-grace', '1'] },
    )
    const { pid, instanceId } = await startDaemon(server)
    const step = Number(await waitForFile(join(server.dir, 'nap.pid')))
    killAtEnd(step)
    process.kill(pid, 'SIGSTOP')
    killAtEnd(pid)

    const t0 = Date.now()
    const res = await call(server.url, 'POST', '/api/cron/stop')
    const took = Date.now() - t0
    expect(res.status, res.text).toBe(200)
    // The API waits grace (1 s) + 5 s for the daemon, then kills its group and sweeps the tree.
    expect(took).toBeGreaterThanOrEqual(5900)
    expect(res.body.forced).toBe(true)
    expect(res.body.survivors).toContain(step)
    // SIGKILLed, it may still be tearing down (its cmdline already empty) for a moment.
    await waitFor(() => !isAlive(pid) && !isAlive(step), { timeoutMs: 1000, what: 'the killed daemon and step to be gone' })
    expect(treeOf(instanceId)).toEqual([])
    expect(readState(server)).toBeNull()
    // The interrupted run is not left `running`.
    const runs = (await call(server.url, 'GET', '/api/cron/runs')).body.runs
    expect(runs.filter((r: any) => r.status === 'running')).toEqual([])
    expect(runs[0]).toMatchObject({ status: 'abandoned' })
    expect((await call(server.url, 'GET', '/api/cron/status')).body).toMatchObject({ is_running: false, pid: null })
  }, 30_000)
})

function sessionOf(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[3])
  } catch {
    return -1
  }
}
