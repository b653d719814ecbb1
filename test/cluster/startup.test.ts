/**
 * Starting in cluster mode: one clear line when Redis cannot be reached, warnings when Redis would
 * lose what cluster mode keeps there, and the API replica under Bun (workers run under Node).
 */
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BUN, ROOT } from '../helpers/server.js'
import { waitFor } from '../helpers/wait.js'
import { freePort, startRedis, type TestRedis, redisDep } from './redis-server.js'
import { api, pipelineDir, runCli, startReplica, startWorker, type ClusterProcess } from './support.js'

let redis: TestRedis
const procs: ClusterProcess[] = []
const { file } = pipelineDir({ name: 'startup', steps: [{ name: 'hello', run: 'echo hello from $PIPELINE_CRON_RUN_ID' }] })

beforeAll(async () => {
  redis = await startRedis()
})
afterAll(async () => {
  for (const p of procs) await p.kill('SIGKILL')
  await redis?.stop()
})

describe.skipIf(redisDep.skip)('cluster mode start-up', () => {
  it('fails with one line naming Redis and the cause - nothing listens on the port', async () => {
    const port = await freePort()
    for (const command of ['serve', 'worker']) {
      const listen = command === 'serve' ? ['--port', '0'] : []
      const { code, output } = await runCli([command, '--redis', `redis://127.0.0.1:${port}`, '--pipeline', file, ...listen])
      expect(code).toBe(1)
      expect(output.trim().split('\n')).toEqual([`pipeline-cron: --redis: cannot reach Redis at redis://127.0.0.1:${port} (ECONNREFUSED)`])
    }
  })

  it('exits with one line naming the file - a pipeline file that cannot be read, Redis reachable', async () => {
    for (const command of ['serve', 'worker']) {
      const listen = command === 'serve' ? ['--port', '0'] : []
      const { code, output } = await runCli([command, '--redis', redis.url, '--pipeline', '/nonexistent/pipeline.json', ...listen])
      expect(code).toBe(1)
      expect(output.trim().split('\n')).toEqual(['pipeline-cron: /nonexistent/pipeline.json: cannot read the pipeline file (ENOENT)'])
    }
  })

  it('refuses a worker without Redis, in one line', async () => {
    const { code, output } = await runCli(['worker', '--pipeline', file], { REDIS_URL: '' })
    expect(code).toBe(1)
    expect(output.trim()).toBe('pipeline-cron: worker: --redis URL (or REDIS_URL) is required: a worker takes its runs from Redis')
  })

  it('warns at start - maxmemory-policy is not noeviction and persistence is off', async () => {
    const admin = new Redis(redis.url)
    try {
      await admin.config('SET', 'maxmemory-policy', 'allkeys-lru')
      await admin.config('SET', 'appendonly', 'no')
      const replica = await startReplica(redis.url, file)
      procs.push(replica)
      // The banner is written a line at a time, and the replica counts as ready at its first line.
      await waitFor(() => replica.output().match(/WARNING: Redis/g)?.length === 2 || null, { timeoutMs: 5000, what: 'both Redis warnings' }).catch(() => null)
      const out = replica.output()
      expect(out).toContain('WARNING: Redis maxmemory-policy is allkeys-lru: under memory pressure Redis would drop queued ticks and run records; set it to noeviction')
      expect(out).toContain('WARNING: Redis persistence is off (appendonly no, no save points)')
      await replica.kill()
    } finally {
      await admin.config('SET', 'maxmemory-policy', 'noeviction')
      await admin.config('SET', 'appendonly', 'yes')
      admin.disconnect()
    }
  })

  it('serves as an API replica under Bun, with a Node worker running the steps - start, run, tail, stop', async () => {
    const worker = await startWorker(redis.url, file)
    procs.push(worker)
    const child = spawn(BUN, [join(ROOT, 'adapters', 'bun', 'server.ts'), '--redis', redis.url, '--port', '0', '--pipeline', file, '--min-interval', '1'], { stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    child.stdout.on('data', (d: Buffer) => (out += d.toString()))
    child.stderr.on('data', (d: Buffer) => (out += d.toString()))
    procs.push({ pid: child.pid!, output: () => out, exited: new Promise((r) => child.once('exit', r)), kill: async () => void child.kill('SIGKILL') })
    const url = await waitFor(() => /listening on (http:\/\/\S+)/.exec(out)?.[1], { timeoutMs: 15_000, what: 'the Bun replica to listen' })
    expect(out).toContain('runtime: bun; cluster mode on')
    expect((await api(url, '/api/cron/start', { method: 'POST', body: { interval_seconds: 30 } })).status).toBe(200)
    const run = await waitFor(async () => (await api(url, '/api/cron/runs')).body.runs.find((r: any) => r.status === 'success'), { what: 'a run' })
    expect((await api(url, '/api/cron/logs/tail?lines=20')).body).toContain(`hello from ${run.id}`)
    expect((await api(url, '/api/cron/status')).body).toMatchObject({ is_running: true, pid: null })
    expect((await api(url, '/api/cron/stop', { method: 'POST' })).status).toBe(200)
    await worker.kill()
  })

  it('runs the steps in the API process itself - serve --redis --worker', async () => {
    const both = await startReplica(redis.url, file, ['--worker'])
    procs.push(both)
    // No other worker is alive: the run below can only be this process's.
    expect(both.output()).toContain('API and worker')
    expect((await api(both.url, '/api/cron/start', { method: 'POST', body: { interval_seconds: 30 } })).status).toBe(200)
    const run = await waitFor(async () => (await api(both.url, '/api/cron/runs')).body.runs.find((r: any) => r.status === 'success'), { what: 'a run' })
    const logs = (await api(both.url, `/api/cron/runs/${run.id}/logs`)).body.logs as string
    expect(logs).toContain(`hello from ${run.id}`)
    expect((await api(both.url, '/api/cron/stop', { method: 'POST' })).status).toBe(200)
    await both.kill()
  })

  it('refuses --worker under Bun in one line - workers run under Node', async () => {
    const child = spawn(BUN, [join(ROOT, 'adapters', 'bun', 'server.ts'), '--redis', redis.url, '--worker', '--port', '0', '--pipeline', file], { stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    child.stderr.on('data', (d: Buffer) => (out += d.toString()))
    const code = await new Promise((r) => child.once('exit', r))
    expect(code).toBe(1)
    expect(out.trim()).toBe('pipeline-cron: --worker: under Bun the server is an API replica only; run workers under Node with `pipeline-cron worker --redis URL`')
  })
})

describe.skipIf(redisDep.skip)('cluster mode: --concurrency', () => {
  it('runs at most one run at a time on a worker with --concurrency 1 - two pipelines due at once, 1 s steps', async () => {
    const p = pipelineDir({ name: 'unused', steps: [{ name: 'x', run: 'true' }] })
    const { mkdirSync, readFileSync, writeFileSync } = await import('node:fs')
    const pipelines = join(p.dir, 'pipelines')
    mkdirSync(pipelines)
    const step = (n: string) => ({ name: 'busy', run: `echo "start ${n} $(date +%s%3N)" >> ../spans.log; sleep 1; echo "end ${n} $(date +%s%3N)" >> ../spans.log` })
    for (const n of ['one', 'two']) writeFileSync(join(pipelines, `${n}.json`), JSON.stringify({ name: n, steps: [step(n)] }))
    const replica = await startReplica(redis.url, '', ['--pipelines', pipelines])
    const worker = await startWorker(redis.url, '', ['--pipelines', pipelines, '--concurrency', '1'])
    procs.push(replica, worker)
    for (const n of ['one', 'two']) expect((await api(replica.url, `/api/pipelines/${n}/start`, { method: 'POST', body: { interval_seconds: 2 } })).status).toBe(200)
    const spans = () => readFileSync(join(p.dir, 'spans.log'), 'utf8').trim().split('\n').map((l) => l.split(' '))
    await waitFor(() => { try { return spans().filter(([k]) => k === 'end').length >= 4 } catch { return false } }, { timeoutMs: 20_000, what: 'four runs' })
    for (const n of ['one', 'two']) expect((await api(replica.url, `/api/pipelines/${n}/stop`, { method: 'POST' })).status).toBe(200)
    // Start and end lines alternate: never two runs at once on this worker.
    let open = 0
    for (const [kind] of spans()) {
      open += kind === 'start' ? 1 : -1
      expect(open).toBeLessThanOrEqual(1)
    }
    expect(new Set(spans().map(([, n]) => n))).toEqual(new Set(['one', 'two']))
  }, 40_000)
})
