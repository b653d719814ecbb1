/**
 * examples/webhook-receiver.mjs with plain node, as the `notify` URL of a real pipeline: it
 * prints the signed delivery and refuses one whose signature does not match.
 */
import { describe, expect, it } from 'vitest'
import { call, FIXTURES } from '../helpers/server.js'
import { waitFor } from '../helpers/wait.js'
import { exampleServer, serveExample } from './support.js'

const SECRET = 'example-hook-secret'

describe('examples/webhook-receiver.mjs', () => {
  it('prints "default: success (run <id>, success)" for a signed delivery, and answers 401 to a wrong signature', { timeout: 60_000 }, async (ctx) => {
    const hook = await serveExample(ctx, 'webhook-receiver.mjs', [], { HOOK_SECRET: SECRET, PORT: '0' }, /listening on (http:\/\/\S+)/)
    const server = await exampleServer(ctx, {
      pipeline: {
        steps: [{ name: 'hello', run: [process.execPath, `${FIXTURES}/print-lines.mjs`, '1'] }],
        notify: [{ url: hook.url, on: ['success'], secret_env: 'HOOK_SECRET' }],
      },
      env: { HOOK_SECRET: SECRET },
    })
    expect((await call(server.url, 'POST', '/api/cron/start', { json: { interval_seconds: 3600 } })).status).toBe(200)
    const line = await waitFor(() => /^default: success \(run (\S+), success\)$/m.exec(hook.output()), { timeoutMs: 20_000, what: 'the delivery' })
    const runs = (await call(server.url, 'GET', '/api/cron/runs')).body.runs
    expect(runs.map((r: { id: string }) => r.id)).toContain(line[1])

    const forged = await fetch(hook.url, { method: 'POST', headers: { 'X-Pipeline-Cron-Signature': 'sha256=00' }, body: '{"event":"success"}' })
    expect(forged.status).toBe(401)
  })
})
