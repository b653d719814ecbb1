/**
 * examples/embed.mjs with plain node: the parent's own route beside pipeline-cron's dashboard,
 * docs and API under /cron/, served by the parent's @hono/node-server.
 */
import { cpSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { call, killDaemonsOf, tempDir } from '../helpers/server.js'
import { waitFor } from '../helpers/wait.js'
import { EXAMPLES, examplePipeline, serveExample } from './support.js'

describe('examples/embed.mjs', () => {
  it('serves its own / and, under /cron/, the dashboard, the docs and an API that starts and stops the pipeline', { timeout: 60_000 }, async (ctx) => {
    const dir = tempDir('pc-example-embed-')
    const stateDir = join(dir, 'state')
    ctx.onTestFinished(() => {
      killDaemonsOf(stateDir)
      rmSync(dir, { recursive: true, force: true })
    })
    cpSync(join(EXAMPLES, 'scripts'), join(dir, 'scripts'), { recursive: true })
    writeFileSync(join(dir, 'pipeline.json'), JSON.stringify(examplePipeline()))
    const args = ['--port', '0', '--state-dir', stateDir, '--log-file', join(dir, 'pipeline.log'), '--pipeline', join(dir, 'pipeline.json')]
    const { url } = await serveExample(ctx, 'embed.mjs', args, {}, /listening on (http:\/\/\S+?)\/ /)

    expect((await call(url, 'GET', '/')).text).toBe('my service: see /cron/ for the pipeline')
    const page = await call(url, 'GET', '/cron/')
    expect(page.status).toBe(200)
    expect(page.text).toContain('<title>')
    expect((await call(url, 'GET', '/cron/assets/dashboard.js')).status).toBe(200)
    expect((await call(url, 'GET', '/cron/docs')).status).toBe(200)
    expect((await call(url, 'GET', '/cron/openapi.json')).body.servers).toMatchObject([{ url: '/cron' }])

    expect((await call(url, 'POST', '/cron/api/cron/start', { json: { interval_seconds: 60 } })).status).toBe(200)
    await waitFor(async () => (await call(url, 'GET', '/cron/api/cron/status')).body.last_run?.status === 'success', { timeoutMs: 20_000, what: 'the first run to succeed' })
    expect((await call(url, 'POST', '/cron/api/cron/stop')).status).toBe(200)
  })
})
