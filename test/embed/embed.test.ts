import { serve } from '@hono/node-server'
import type { AddressInfo } from 'node:net'
import { rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { resolveConfig } from 'pipeline-cron'
import { createParentApp } from '../../examples/embed.js'
import { call, FIXTURES, killDaemonsOf, tempDir } from '../helpers/server.js'
import { waitFor } from '../helpers/wait.js'

// The embedding example, served by the parent app's own server, with every route under /cron.
describe('embedding: createApp mounted under /cron of another Hono app', () => {
  const dir = tempDir('pc-embed-')
  const stateDir = join(dir, 'state')
  let base = ''
  let close = () => {}

  beforeAll(async () => {
    const pipelineFile = join(dir, 'pipeline.json')
    writeFileSync(
      pipelineFile,
      JSON.stringify({ name: 'embedded', steps: [{ name: 'hello', run: ['node', join(FIXTURES, 'print-lines.mjs'), '3'] }] }),
    )
    const config = resolveConfig(
      ['--state-dir', stateDir, '--log-file', join(dir, 'pipeline.log'), '--pipeline', pipelineFile, '--min-interval', '1', '--stop-grace', '2'],
      {},
    )
    const server = serve({ fetch: createParentApp(config).fetch, port: 0, hostname: '127.0.0.1' })
    await new Promise((r) => server.once('listening', r))
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    close = () => server.close()
  })

  afterAll(() => {
    killDaemonsOf(stateDir)
    close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('keeps the parent app routes working beside the mounted API', async () => {
    const res = await call(base, 'GET', '/')
    expect(res.status).toBe(200)
    expect(res.text).toContain('my service')
  })

  it('serves the original endpoints and the daemon lifecycle under the prefix', async () => {
    expect((await call(base, 'GET', '/cron/health')).body.status).toBe('healthy')
    expect((await call(base, 'GET', '/cron/api/cron/status')).body.is_running).toBe(false)
    const started = await call(base, 'POST', '/cron/api/cron/start', { json: { interval_seconds: 60 } })
    expect(started.status).toBe(200)
    expect(started.body.message).toMatch(/^Daemon started successfully with interval: 60 seconds \(PID: \d+\)$/)
    expect((await call(base, 'POST', '/cron/api/cron/start', { json: { interval_seconds: 60 } })).status).toBe(409)

    await waitFor(async () => (await call(base, 'GET', '/cron/api/cron/logs')).body.logs.includes('Pipeline execution finished: success'), {
      what: 'the first run to finish',
    })
    const logs = await call(base, 'GET', '/cron/api/cron/logs?lines=5')
    expect(logs.body.line_count).toBe(5)
    const tail = await call(base, 'GET', '/cron/api/cron/logs/tail?lines=3')
    expect(tail.headers.get('content-type')).toMatch(/^text\/plain/)
    expect(tail.text.trim().split('\n')).toHaveLength(3)

    // The run's record follows its last log line by a moment.
    const run = await waitFor(async () => {
      const runs = await call(base, 'GET', '/cron/api/cron/runs?limit=5')
      return runs.body.runs.find((r: { status: string }) => r.status === 'success')
    }, { what: 'the first run to be recorded' })
    expect((await call(base, 'GET', `/cron/api/cron/runs/${run.id}`)).body.id).toBe(run.id)
    const runLogs = await call(base, 'GET', `/cron/api/cron/runs/${run.id}/logs`)
    expect(runLogs.body.logs).toContain(`Run ${run.id}`)

    const manual = await call(base, 'POST', '/cron/api/cron/run')
    expect(manual.status).toBe(200)
    expect((await call(base, 'GET', '/cron/api/cron/health')).status).toBe(200)
    const metrics = await call(base, 'GET', '/cron/metrics')
    expect(metrics.text).toContain('pipeline_cron_daemon_up{pipeline="default"} 1')

    expect((await call(base, 'DELETE', '/cron/api/cron/logs')).body.message).toBe('Logs cleared successfully')
    await waitFor(async () => (await call(base, 'GET', '/cron/api/cron/status')).body.current_run === null, { what: 'the manual run to end' })
    const stopped = await call(base, 'POST', '/cron/api/cron/stop')
    expect(stopped.status).toBe(200)
    expect(stopped.body.survivors).toEqual([])
    expect((await call(base, 'POST', '/cron/api/cron/stop')).status).toBe(409)
  })

  it('streams the live log under the prefix', async () => {
    const abort = new AbortController()
    const res = await fetch(`${base}/cron/api/cron/logs/stream?lines=2`, { signal: abort.signal })
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/)
    const reader = res.body!.getReader()
    const first = new TextDecoder().decode((await reader.read()).value)
    expect(first).toContain(': connected')
    abort.abort()
  })

  it('answers errors under the prefix with the error body (404, 405, 400)', async () => {
    for (const [method, path, status] of [
      ['GET', '/cron/api/cron/nope', 404],
      ['PUT', '/cron/api/cron/status', 405],
      ['GET', '/cron/api/cron/logs?lines=0', 400],
    ] as const) {
      const res = await call(base, method, path)
      expect(res.status, `${method} ${path}`).toBe(status)
      expect(res.body).toMatchObject({ error: true, detail: expect.any(String), timestamp: expect.any(String) })
    }
  })
})
