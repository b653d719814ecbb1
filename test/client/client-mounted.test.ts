/** The client against the app mounted under a prefix in another Hono app (fetch goes to app.request). */
import { Hono } from 'hono'
import { afterAll, expect, it } from 'vitest'
import { PipelineCronClient, PipelineCronError } from '../../src/client.js'
import { createMemorySystem } from '../fakes/system.js'

const system = createMemorySystem({ token: 't0k3n' })
afterAll(() => system.shutdown())
const parent = new Hono().route('/cron', system.app)
const viaParent: typeof fetch = async (input, init) => parent.request(input instanceof Request ? input : String(input), init)

it('reaches every route under the base URL\'s path, with the token', async () => {
  const client = new PipelineCronClient('http://embedded.test/cron/', { token: 't0k3n', fetch: viaParent })
  expect((await client.health()).status).toBe('healthy')
  expect((await client.status()).is_running).toBe(false)
  expect((await client.runs(5)).runs).toEqual([])
  expect(await client.tailLogs(5)).toBe('')
})

it('throws PipelineCronError with the status and "HTTP <status>" - a non-JSON 404 from the parent app', async () => {
  const client = new PipelineCronClient('http://embedded.test/elsewhere', { fetch: viaParent })
  const err = await client.health().catch((e: unknown) => e)
  expect(err).toBeInstanceOf(PipelineCronError)
  expect((err as PipelineCronError).status).toBe(404)
  expect((err as PipelineCronError).detail).toBe('HTTP 404')
})
