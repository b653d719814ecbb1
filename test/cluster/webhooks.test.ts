/** Webhooks in cluster mode are sent by the worker that recorded the outcome, signed as locally. */
import { createHmac } from 'node:crypto'
import { createServer, type IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { waitFor } from '../helpers/wait.js'
import { startRedis, type TestRedis, redisDep } from './redis-server.js'
import { api, pipelineDir, startReplica, startWorker, type ClusterProcess } from './support.js'

let redis: TestRedis
const procs: ClusterProcess[] = []
const received: { headers: IncomingHttpHeaders; body: string }[] = []
const receiver = createServer((req, res) => {
  let body = ''
  req.on('data', (d: Buffer) => (body += d.toString()))
  req.on('end', () => {
    received.push({ headers: req.headers, body })
    res.writeHead(204).end()
  })
})

beforeAll(async () => {
  redis = await startRedis()
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r))
})
afterAll(async () => {
  for (const p of procs) await p.kill('SIGKILL')
  await redis?.stop()
  receiver.close()
})

describe.skipIf(redisDep.skip)('cluster mode: webhooks', () => {
  it('POSTs success from the worker that ran the run, signed with the secret of its environment', async () => {
    const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`
    const { file } = pipelineDir({ name: 'hooks', notify: [{ url, on: ['success'], secret_env: 'HOOK_SECRET' }], steps: [{ name: 'ok', run: 'true' }] })
    const replica = await startReplica(redis.url, file)
    const worker = await startWorker(redis.url, file, [], { HOOK_SECRET: 's3cret' })
    procs.push(replica, worker)
    expect((await api(replica.url, '/api/cron/start', { method: 'POST', body: { interval_seconds: 60 } })).status).toBe(200)
    const hook = await waitFor(() => received[0], { what: 'the webhook' })
    const payload = JSON.parse(hook.body)
    expect(payload).toMatchObject({ event: 'success', pipeline: 'default', run: { status: 'success', trigger: 'schedule' } })
    expect(hook.headers['x-pipeline-cron-signature']).toBe(`sha256=${createHmac('sha256', 's3cret').update(hook.body).digest('hex')}`)
    expect((await api(replica.url, `/api/cron/runs/${payload.run.id}`)).body).toEqual(payload.run)
    const tail = (await api(replica.url, '/api/cron/logs/tail?lines=20')).body as string
    expect(tail).toMatch(/Webhook success → http:\/\/127\.0\.0\.1:\d+: HTTP 204/)
    expect((await api(replica.url, '/api/cron/stop', { method: 'POST' })).status).toBe(200)
  })
})
