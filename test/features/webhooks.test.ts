/**
 * Webhooks against a real local receiver: signed over the exact body, `failure` then `recovery`,
 * retried after 1, 2 and 4 s, and never holding up a run or a tick.
 */
import { createHmac, timingSafeEqual } from 'node:crypto'
import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { type Ctx, listRuns, localFixture, logText, serverWithPipeline, startDaemon, waitFor, waitForRuns } from './support.js'

const SECRET = 'webhook-secret-never-logged'

interface Received {
  at: number
  headers: IncomingMessage['headers']
  body: string
  json: any
  signatureValid: boolean
}

/** A receiver on 127.0.0.1 that answers each POST with `answer()` (a status, or 'hang'). */
async function receiver(ctx: Ctx, answer: () => number | 'hang' = () => 200) {
  const got: Received[] = []
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8')
      const expected = `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`
      const given = String(req.headers['x-pipeline-cron-signature'] ?? '')
      const signatureValid = given.length === expected.length && timingSafeEqual(Buffer.from(given), Buffer.from(expected))
      got.push({ at: Date.now(), headers: req.headers, body, json: JSON.parse(body), signatureValid })
      const status = answer()
      if (status === 'hang') return
      res.writeHead(status).end()
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  ctx.onTestFinished(() => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r()))))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/secret-path?token=abc`, got }
}

describe.concurrent('webhooks', () => {
  it('POSTs failure then recovery, signed with HMAC-SHA256 over the exact body, and never logs the secret or the path', async (ctx) => {
    const hook = await receiver(ctx)
    const server = await serverWithPipeline(
      (dir) => ({
        name: 'flaky',
        steps: [{ name: 'fetch', run: localFixture('flaky.mjs', '1', join(dir, 'attempts')) }],
        notify: [{ url: hook.url, on: ['failure', 'recovery'], secret_env: 'HOOK_SECRET' }],
      }),
      { env: { HOOK_SECRET: SECRET } }, ctx)
    await startDaemon(server, { interval_seconds: 1 })
    await waitFor(() => hook.got.length >= 2, { timeoutMs: 15_000, what: 'two deliveries' })
    const [failure, recovery] = hook.got
    expect(failure!.json).toMatchObject({ event: 'failure', pipeline: 'default', run: { status: 'failed', steps: [{ name: 'fetch', exit_code: 1 }] } })
    expect(recovery!.json).toMatchObject({ event: 'recovery', pipeline: 'default', run: { status: 'success' } })
    for (const delivery of [failure!, recovery!]) {
      expect(delivery.signatureValid).toBe(true)
      expect(delivery.headers['content-type']).toBe('application/json')
      expect(delivery.headers['user-agent']).toMatch(/^pipeline-cron\/\d+\.\d+\.\d+/)
    }
    // `run` is the run as the API answers it.
    const runs = await listRuns(server)
    expect(failure!.json.run).toEqual(runs.find((r) => r.id === failure!.json.run.id))
    await waitFor(() => /Webhook recovery → http:\/\/127\.0\.0\.1:\d+: HTTP 200 in \d+ms \(attempt 1 of 4\)/.test(logText(server)), { what: 'the delivery line' })
    const log = logText(server)
    expect(log).not.toContain(SECRET)
    expect(log).not.toContain('secret-path')
    expect(log).not.toContain('token=abc')
  })

  it('tries 4 times, 1, 2 and 4 s apart, then logs it lost, while the run keeps its own result and duration - receiver answering 500', async (ctx) => {
    const hook = await receiver(ctx, () => 500)
    const server = await serverWithPipeline(() => ({
      name: 'ok',
      steps: [{ name: 'quick', run: ['true'] }],
      notify: [{ url: hook.url, on: ['success'] }],
    }), {}, ctx)
    await startDaemon(server, { interval_seconds: 3600 })
    const run = await waitForRuns(server, (runs) => runs.find((r) => r.status !== 'running'), 'the run')
    expect(run.status).toBe('success')
    expect(run.duration_ms!).toBeLessThan(1000)
    await waitFor(() => /lost after 4 attempts/.test(logText(server)), { timeoutMs: 15_000, what: 'the delivery to be given up' })
    expect(hook.got).toHaveLength(4)
    const gaps = hook.got.slice(1).map((g, i) => g.at - hook.got[i]!.at)
    expect(gaps[0]!).toBeGreaterThanOrEqual(950)
    expect(gaps[1]!).toBeGreaterThanOrEqual(1950)
    expect(gaps[2]!).toBeGreaterThanOrEqual(3950)
    expect(logText(server)).toMatch(/Webhook success → http:\/\/127\.0\.0\.1:\d+: HTTP 500 in \d+ms \(attempt 1 of 4\), retrying in 1s/)
    // Unsigned without a secret.
    expect(hook.got[0]!.headers['x-pipeline-cron-signature']).toBeUndefined()
    expect((await listRuns(server)).find((r) => r.id === run.id)).toMatchObject({ status: 'success', duration_ms: run.duration_ms })
  })

  it('keeps the ticks on time and logs a delivery in flight as lost at stop - a receiver that never answers', async (ctx) => {
    const hook = await receiver(ctx, () => 'hang')
    const server = await serverWithPipeline(() => ({
      name: 'ticks',
      steps: [{ name: 'quick', run: ['true'] }],
      notify: [{ url: hook.url, on: ['success'] }],
    }), {}, ctx)
    await startDaemon(server, { interval_seconds: 1 })
    const runs = await waitForRuns(server, (all) => {
      const done = all.filter((r) => r.status === 'success')
      return done.length >= 4 ? done : null
    }, 'four runs while the hook hangs', 15_000)
    for (const run of runs) {
      const late = Date.parse(run.started_at) - Date.parse(run.scheduled_at!)
      expect(late, `run ${run.id} started ${late} ms late`).toBeLessThan(500)
    }
    expect((await fetch(`${server.url}/api/cron/stop`, { method: 'POST' })).status).toBe(200)
    expect(logText(server)).toMatch(/Webhook success for run \S+ → http:\/\/127\.0\.0\.1:\d+: lost \(the pipeline stopped\)/)
  })
})
