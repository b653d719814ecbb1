/**
 * The client against the real app mounted under a prefix in another Hono app (fetch goes to
 * app.request): the root client's and a named pipeline's routes both go under the base URL's path.
 */
import { rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Hono } from 'hono'
import { afterAll, expect, it } from 'vitest'
import { createDeps } from '../../adapters/node/deps.js'
import { createApp } from '../../src/app.js'
import { PipelineCronClient, PipelineCronError } from '../../src/client.js'
import { resolveConfig } from '../../src/config.js'
import { tempDir } from '../helpers/server.js'

const dir = tempDir('pc-mounted-')
const pipelineFile = join(dir, 'pipeline.json')
writeFileSync(pipelineFile, JSON.stringify({ steps: [{ name: 'noop', run: 'true' }] }))
const config = resolveConfig(['--state-dir', join(dir, 'state'), '--log-file', join(dir, 'p.log'), '--log-dir', join(dir, 'logs'), '--pipeline', pipelineFile, '--token', 't0k3n'], {})
const deps = createDeps(config)
afterAll(() => {
  deps.close()
  rmSync(dir, { recursive: true, force: true })
})
const parent = new Hono().route('/cron', createApp(deps))
const viaParent: typeof fetch = async (input, init) => parent.request(input instanceof Request ? input : String(input), init)

it('reaches every route under the base URL\'s path, with the token - the root client and pipeline(name)', async () => {
  const client = new PipelineCronClient('http://embedded.test/cron/', { token: 't0k3n', fetch: viaParent })
  expect((await client.health()).status).toBe('healthy')
  expect((await client.status()).is_running).toBe(false)
  expect((await client.runs(5)).runs).toEqual([])
  expect(await client.tailLogs(5)).toBe('')
  expect((await client.pipelines()).pipelines.map((p) => p.name)).toEqual(['default'])
  expect(await client.pipeline('default').status()).toMatchObject({ is_running: false, paused: false })
  expect((await client.pipeline('default').runs()).runs).toEqual([])
})

it('throws PipelineCronError with the status and "HTTP <status>" - a non-JSON 404 from the parent app', async () => {
  const client = new PipelineCronClient('http://embedded.test/elsewhere', { fetch: viaParent })
  const err = await client.health().catch((e: unknown) => e)
  expect(err).toBeInstanceOf(PipelineCronError)
  expect((err as PipelineCronError).status).toBe(404)
  expect((err as PipelineCronError).detail).toBe('HTTP 404')
})
