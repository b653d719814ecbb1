/**
 * The pipeline file is validated at server start-up and again at each daemon start: an
 * invalid file answers 500 with a detail naming the file and the JSON path; an edit takes
 * effect at the next start, not in the running daemon.
 */
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { startServer, tempDir } from '../helpers/server.js'
import { call, daemonPidsOf, expectError, fixture, quickPipeline, serverForTest, startDaemon, waitForFinishedRuns, writePipeline } from './support.js'
import { rmSync, writeFileSync } from 'node:fs'

const printing = (word: string) => ({ name: 'edited', steps: [{ name: 'say', run: fixture('print-lines.mjs', '1', '0', word) }] })

describe('pipeline file', () => {
  it('returns 500 naming the file and the JSON path, no daemon - invalid step at start', async () => {
    const server = await serverForTest({ pipeline: quickPipeline() })
    writePipeline(server, { name: 'broken', steps: [{ name: 'ok', run: ['true'] }, { name: 'bad', run: 42 }] })
    const res = await call(server.url, 'POST', '/api/cron/start', { json: { interval_seconds: 60 } })
    expectError(res, 500, /pipeline\.json/)
    expect(res.body.detail).toContain('steps[1].run')
    expect(daemonPidsOf(server.stateDir)).toEqual([])
    expect((await call(server.url, 'GET', '/api/cron/status')).body).toMatchObject({ is_running: false, pid: null })
  })

  it('returns 500 naming the file - pipeline file is not JSON at start', async () => {
    const server = await serverForTest({ pipeline: quickPipeline() })
    writePipeline(server, '{"name": "broken", "steps": [')
    const res = await call(server.url, 'POST', '/api/cron/start', { json: { interval_seconds: 60 } })
    expectError(res, 500, /pipeline\.json.*JSON/i)
    expect(daemonPidsOf(server.stateDir)).toEqual([])
  })

  it('returns 500 naming the file - pipeline file removed before start', async () => {
    const server = await serverForTest({ pipeline: quickPipeline() })
    rmSync(server.pipelineFile)
    const res = await call(server.url, 'POST', '/api/cron/start', { json: { interval_seconds: 60 } })
    expectError(res, 500, /pipeline\.json/)
    expect(daemonPidsOf(server.stateDir)).toEqual([])
  })

  it('runs the edited pipeline after the next start, the old one until then - pipeline file edited', async () => {
    const server = await serverForTest({ pipeline: printing('before') })
    await startDaemon(server)
    await waitForFinishedRuns(server, 1)

    // The running daemon keeps the pipeline it started with.
    writePipeline(server, printing('after'))
    expect((await call(server.url, 'POST', '/api/cron/run')).status).toBe(200)
    await waitForFinishedRuns(server, 2)
    let logs = (await call(server.url, 'GET', '/api/cron/logs')).body.logs as string
    expect(logs).toContain('before out 1')
    expect(logs).not.toContain('after out 1')

    expect((await call(server.url, 'POST', '/api/cron/stop')).status).toBe(200)
    await startDaemon(server)
    await waitForFinishedRuns(server, 3)
    logs = (await call(server.url, 'GET', '/api/cron/logs')).body.logs as string
    expect(logs).toContain('after out 1')
  })

  it('exits non-zero with one line naming the file and the JSON path - server start-up with an invalid file', async () => {
    const dir = tempDir()
    try {
      writeFileSync(join(dir, 'pipeline.json'), JSON.stringify({ steps: [{ name: 'x', run: ['true'], timeout_seconds: 'soon' }] }))
      const err: Error = await startServer({ dir }).then(
        (s) => s.cleanup().then(() => new Error('the server started')),
        (e: Error) => e,
      )
      expect(err.message).toMatch(/^server exited \([1-9]\d*\)/)
      expect(err.message).toMatch(/pipeline\.json/)
      expect(err.message).toContain('steps[0].timeout_seconds')
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
