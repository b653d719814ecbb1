/**
 * examples/client.mjs and examples/client-pipelines.mjs, run with plain node against a real
 * server: each runs to its end (exit 0) and leaves its pipelines stopped.
 */
import { describe, expect, it } from 'vitest'
import { call } from '../helpers/server.js'
import { exampleServer, runExample } from './support.js'

describe('examples/client.mjs', () => {
  it('starts the pipeline, prints the log until the first run finishes, stops it and ends with exit 0 - the second stop is the 409 it catches', { timeout: 90_000 }, async (ctx) => {
    const server = await exampleServer(ctx)
    const run = await runExample('client.mjs', { PIPELINE_CRON_URL: server.url })
    expect(run.stderr).toBe('')
    expect(run.code).toBe(0)
    expect(run.stdout).toMatch(/^Daemon is running \(PID: \d+\)$/m)
    expect(run.stdout).toContain('========== Pipeline execution finished: success (3/3 steps')
    expect(run.stdout).toMatch(/^409 Daemon is not running$/m)
    expect((await call(server.url, 'GET', '/api/cron/status')).body.is_running).toBe(false)
  })
})

describe('examples/client-pipelines.mjs', () => {
  it('lists the pipelines, starts, pauses, resumes, checks and stops "orders" and ends with exit 0 - a server of default and orders', { timeout: 90_000 }, async (ctx) => {
    const server = await exampleServer(ctx, { orders: true })
    const run = await runExample('client-pipelines.mjs', { PIPELINE_CRON_URL: server.url })
    expect(run.stderr).toBe('')
    expect(run.code).toBe(0)
    expect(run.stdout.split('\n')).toEqual(['default stopped', 'orders stopped', 'true', 'Daemon started recently; no successful run is due yet', ''])
    const orders = (await call(server.url, 'GET', '/api/pipelines/orders/status')).body
    expect(orders).toMatchObject({ is_running: false, paused: false })
  })
})
