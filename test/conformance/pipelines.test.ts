/**
 * Many pipelines in one server: `/api/pipelines`, every pipeline route under
 * `/api/pipelines/{name}/…`, one daemon for all of them, and pipelines that never touch each
 * other. Black-box over HTTP, /proc and files, so it runs against the Node and the Bun server.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { daemonPidsOf } from '../helpers/procs.js'
import { call, expectError, fixture, ISO_MS, isAlive, quickPipeline, serverForTest, treeOf, waitFor, type TestServer } from './support.js'

const napper = (seconds: string) => ({ name: 'napper', steps: [{ name: 'nap', run: fixture('sleep.mjs', seconds) }] })

const api = (name: string, path: string) => `/api/pipelines/${name}${path}`

async function start(server: TestServer, name: string, body: Record<string, unknown> = { interval_seconds: 3600 }) {
  const res = await call(server.url, 'POST', api(name, '/start'), { json: body })
  expect(res.status, res.text).toBe(200)
  return Number(/\(PID: (\d+)\)$/.exec(res.body.message)?.[1])
}

function stateOf(server: TestServer, name: string): { pid: number; instance_id: string } {
  const file = name === 'default' ? join(server.stateDir, 'state.json') : join(server.stateDir, 'pipelines', name, 'state.json')
  return JSON.parse(readFileSync(file, 'utf8'))
}

async function finishedRuns(server: TestServer, name: string, count: number) {
  return waitFor(async () => {
    const runs = (await call(server.url, 'GET', api(name, '/runs'))).body.runs as any[]
    return runs.filter((r) => r.status !== 'running').length >= count ? runs : null
  }, { what: `${count} finished run(s) of ${name}` })
}

describe('many pipelines', () => {
  it('lists every pipeline sorted by name with its state - GET /api/pipelines', async () => {
    const server = await serverForTest({ pipeline: quickPipeline(), pipelines: { zeta: quickPipeline('z'), alpha: napper('60') } })
    const res = await call(server.url, 'GET', '/api/pipelines')
    expect(res.status, res.text).toBe(200)
    expect(res.body.pipelines.map((p: any) => p.name)).toEqual(['alpha', 'default', 'zeta'])
    for (const p of res.body.pipelines) {
      expect(p).toEqual({ name: p.name, steps: 1, error: null, is_running: false, paused: false, schedule: null, next_run_at: null, current_run: null, last_run: null })
    }
    await start(server, 'alpha')
    const after = (await call(server.url, 'GET', '/api/pipelines')).body.pipelines
    expect(after.find((p: any) => p.name === 'alpha')).toMatchObject({ is_running: true, schedule: { type: 'interval', interval_seconds: 3600 }, next_run_at: expect.stringMatching(ISO_MS) })
    expect(after.find((p: any) => p.name === 'zeta')).toMatchObject({ is_running: false })
  })

  it('answers with the same bodies and codes as /api/cron for the named pipeline - start, status, run, runs, logs, stop', async () => {
    const server = await serverForTest({ pipelines: { etl: quickPipeline('etl'), other: quickPipeline('other') } })
    const res = await call(server.url, 'POST', api('etl', '/start'), { json: { interval_seconds: 3600 } })
    expect(res.status, res.text).toBe(200)
    expect(res.body).toMatchObject({ success: true, message: expect.stringMatching(/^Daemon started successfully with interval: 3600 seconds \(PID: \d+\)$/) })
    expectError(await call(server.url, 'POST', api('etl', '/start'), { json: { interval_seconds: 3600 } }), 409, /already running/)
    const status = (await call(server.url, 'GET', api('etl', '/status'))).body
    expect(status).toMatchObject({ is_running: true, pid: expect.any(Number), message: expect.stringMatching(/^Daemon is running \(PID: \d+\)$/) })
    const runs = await finishedRuns(server, 'etl', 1)
    expect(runs[0]).toMatchObject({ status: 'success', trigger: 'schedule' })
    const one = await call(server.url, 'GET', api('etl', `/runs/${runs[0].id}`))
    expect(one.body.id).toBe(runs[0].id)
    const runLog = await call(server.url, 'GET', api('etl', `/runs/${runs[0].id}/logs`))
    expect(runLog.body.logs).toContain('hello')
    const logs = await call(server.url, 'GET', api('etl', '/logs?lines=5'))
    expect(logs.body.line_count).toBeGreaterThan(0)
    const tail = await call(server.url, 'GET', api('etl', '/logs/tail?lines=3'))
    expect(tail.headers.get('content-type')).toMatch(/^text\/plain/)
    const run = await call(server.url, 'POST', api('etl', '/run'))
    expect(run.status, run.text).toBe(200)
    expect(run.body.run_id).toMatch(/^\d{8}T\d{6}Z-[0-9a-f]{4}$/)
    // The other pipeline saw none of it.
    expect((await call(server.url, 'GET', api('other', '/runs'))).body.runs).toEqual([])
    expectError(await call(server.url, 'POST', api('other', '/stop')), 409, /not running/)
    const stop = await call(server.url, 'POST', api('etl', '/stop'))
    expect(stop.status, stop.text).toBe(200)
    expect(stop.body).toMatchObject({ success: true, message: 'Daemon stopped successfully', survivors: [], forced: false })
    // Its log is LOG_DIR/etl.log.
    expect(readFileSync(server.logOf('etl'), 'utf8')).toMatch(/Pipeline execution finished: success/)
  })

  it('answers 404 with the error body - unknown pipeline name, and /api/cron with several pipelines and no default', async () => {
    const server = await serverForTest({ pipelines: { a: quickPipeline('a'), b: quickPipeline('b') } })
    expectError(await call(server.url, 'GET', api('nope', '/status')), 404, /Pipeline not found: nope/)
    expectError(await call(server.url, 'POST', api('nope', '/start'), { json: { interval_seconds: 60 } }), 404, /Pipeline not found/)
    expectError(await call(server.url, 'GET', '/api/cron/status'), 404, /\/api\/pipelines\/\{name\}/)
  })

  it('serves the only pipeline at /api/cron when there is no default', async () => {
    const server = await serverForTest({ pipelines: { solo: quickPipeline('solo') } })
    const res = await call(server.url, 'POST', '/api/cron/start', { json: { interval_seconds: 3600 } })
    expect(res.status, res.text).toBe(200)
    expect((await call(server.url, 'GET', api('solo', '/status'))).body.is_running).toBe(true)
    expect((await call(server.url, 'POST', '/api/cron/stop')).status).toBe(200)
  })

  it('runs every started pipeline in one daemon and exits with the last one - three pipelines', async () => {
    const server = await serverForTest({ pipelines: { a: napper('60'), b: napper('60'), c: quickPipeline('c') } })
    const pids = [await start(server, 'a'), await start(server, 'b'), await start(server, 'c')]
    expect(new Set(pids).size).toBe(1)
    expect(daemonPidsOf(server.stateDir)).toEqual([pids[0]])
    const markers = ['a', 'b'].map((name) => stateOf(server, name).instance_id)
    await waitFor(() => markers.every((m) => treeOf(m).length > 0), { what: 'both naps to run' })

    // Stopping one pipeline ends its tree only.
    expect((await call(server.url, 'POST', api('a', '/stop'))).status).toBe(200)
    expect(treeOf(markers[0]!)).toEqual([])
    expect(treeOf(markers[1]!).length).toBeGreaterThan(0)
    expect((await call(server.url, 'GET', api('b', '/status'))).body).toMatchObject({ is_running: true, current_run: { step: 'nap' } })
    expect(isAlive(pids[0]!)).toBe(true)

    expect((await call(server.url, 'POST', api('b', '/stop'))).status).toBe(200)
    expect(isAlive(pids[0]!)).toBe(true)
    expect((await call(server.url, 'POST', api('c', '/stop'))).status).toBe(200)
    expect(daemonPidsOf(server.stateDir)).toEqual([])
    expect(treeOf(markers[1]!)).toEqual([])
  })

  it('clears one pipeline log and leaves the others - DELETE /api/pipelines/{name}/logs', async () => {
    const server = await serverForTest({ pipelines: { a: quickPipeline('a'), b: quickPipeline('b') } })
    await start(server, 'a')
    await start(server, 'b')
    await finishedRuns(server, 'a', 1)
    await finishedRuns(server, 'b', 1)
    expect((await call(server.url, 'DELETE', api('a', '/logs'))).status).toBe(200)
    expect((await call(server.url, 'GET', api('a', '/logs'))).body.logs).not.toMatch(/Pipeline execution/)
    expect((await call(server.url, 'GET', api('b', '/logs'))).body.logs).toMatch(/Pipeline execution finished/)
  })

  it('lists a pipeline file added to the folder without a restart', async () => {
    const server = await serverForTest({ pipelines: { first: quickPipeline('first') } })
    writeFileSync(join(server.pipelinesDir, 'later.json'), JSON.stringify(quickPipeline('later')))
    const names = await waitFor(async () => {
      const list = (await call(server.url, 'GET', '/api/pipelines')).body.pipelines.map((p: any) => p.name)
      return list.includes('later') ? list : null
    }, { timeoutMs: 5000, what: 'the new pipeline to be listed' })
    expect(names).toEqual(['first', 'later'])
    await start(server, 'later')
    await finishedRuns(server, 'later', 1)
    expect((await call(server.url, 'POST', api('later', '/stop'))).status).toBe(200)
  })
})
