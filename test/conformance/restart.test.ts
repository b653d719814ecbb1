/**
 * The daemon outlives the API server: a new server on the same state dir sees it (same pid),
 * can run it now and can stop it.
 */
import { describe, expect, it } from 'vitest'
import { call, daemonPidsOf, isAlive, quickPipeline, serverForTest, startDaemon, treeOf, waitFor, waitForFinishedRuns } from './support.js'

describe('server restart', () => {
  it('sees the same daemon and stops it - new server on the same state dir', async () => {
    const first = await serverForTest({ pipeline: quickPipeline() })
    const { pid, instanceId } = await startDaemon(first)
    await waitForFinishedRuns(first, 1)

    await first.close()
    expect(isAlive(first.pid)).toBe(false)
    expect(isAlive(pid)).toBe(true)

    // No pipeline given: the new server reuses the folder's pipeline.json as it is.
    const second = await serverForTest({ dir: first.dir })
    expect(second.url).not.toBe('')
    const status = await call(second.url, 'GET', '/api/cron/status')
    expect(status.body).toMatchObject({ is_running: true, pid, message: `Daemon is running (PID: ${pid})` })
    expect(status.body.schedule).toEqual({ type: 'interval', interval_seconds: 3600 })

    const run = await call(second.url, 'POST', '/api/cron/run')
    expect(run.status, run.text).toBe(200)
    const runs = await waitForFinishedRuns(second, 2)
    expect(runs[0]).toMatchObject({ trigger: 'manual', status: 'success' })

    const started = await call(second.url, 'POST', '/api/cron/start', { json: { interval_seconds: 60 } })
    expect(started.status).toBe(409)

    const stop = await call(second.url, 'POST', '/api/cron/stop')
    expect(stop.status, stop.text).toBe(200)
    expect(isAlive(pid)).toBe(false)
    expect(treeOf(instanceId)).toEqual([])
    expect(daemonPidsOf(first.stateDir)).toEqual([])
    await waitFor(async () => (await call(second.url, 'GET', '/api/cron/status')).body.is_running === false)
  })
})
