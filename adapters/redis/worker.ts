/**
 * A cluster worker: one BullMQ Worker per pipeline (its queue has a global concurrency of 1), the
 * steps run here with the leashed runner. Any number of them, on any hosts with the same
 * pipeline files. `lockDuration` and `stalledInterval` are a few seconds, so a worker killed
 * mid-run is noticed within 5 s and its run recorded `abandoned` by the worker that gets the
 * job back (steps run as child processes: this event loop stays free to renew the locks).
 */
import { Worker } from 'bullmq'
import type { Redis } from 'ioredis'
import { hostname } from 'node:os'
import { resolve } from 'node:path'
import type { Config } from '../../src/config.js'
import type { PipelineDefinition } from '../../src/control/catalog.js'
import { loadPipeline, resolvePipelinePath } from '../posix/pipeline-file.js'
import { createPipelineFolder } from '../posix/pipeline-folder.js'
import { connectOrFail, openRedis, redactUrl, redisWarnings } from './connection.js'
import type { PipelineContext } from './context.js'
import { listenForControl, type HeldRun } from './control.js'
import { pipelineKeys, QUEUE_PREFIX, WORKERS_KEY } from './keys.js'
import { createRedisLogWriter } from './log-stream.js'
import { processJob } from './pipeline-worker.js'

/** A job whose worker stopped renewing its lock this long ago is taken back. */
export const LOCK_MS = 3000
/** How often workers look for such jobs. */
export const STALLED_CHECK_MS = 1000
const BEAT_MS = 2000
/** A worker that has not beaten for this long is taken for dead (a safety net behind BullMQ's stalled check). */
const DEAD_AFTER_MS = 15_000
const RESCAN_MS = 5000

export interface ClusterWorker {
  /** Cancels the runs this worker holds (they are recorded `cancelled`), then closes. */
  close(): Promise<void>
}

export async function startClusterWorker(config: Config, log: (line: string) => void = console.log): Promise<ClusterWorker> {
  const url = config.redis!
  // BullMQ workers wait for Redis rather than fail a command while it restarts.
  const redis = openRedis(url, { waitForever: true })
  await connectOrFail(redis, url)
  redis.on('error', () => undefined)
  try {
    return await run(config, redis, log)
  } catch (err) {
    // A bad pipeline file after connecting: the open connection must not keep the process alive.
    redis.disconnect()
    throw err
  }
}

async function run(config: Config, redis: Redis, log: (line: string) => void): Promise<ClusterWorker> {
  const url = config.redis!
  for (const warning of await redisWarnings(redis)) log(warning)
  const defaultFile = config.pipelinesDir && !config.pipeline ? resolvePipelinePath(null, process.cwd(), { bundled: false }) : resolvePipelinePath(config.pipeline)
  const folder = createPipelineFolder({ defaultFile, dir: config.pipelinesDir ? resolve(config.pipelinesDir) : null })
  const definitions = await folder.load()
  const me = { host: hostname(), pid: process.pid }
  const held = new Map<string, HeldRun>()
  const subscriber = redis.duplicate()
  subscriber.on('error', () => undefined)
  await listenForControl(subscriber, redis, held)
  const workers = new Map<string, Worker>()
  const limit = createLimiter(config.concurrency, () => [...workers.values()])

  const beat = () => redis.eval(BEAT, 1, WORKERS_KEY, `${me.host}:${me.pid}`).catch(() => undefined)
  await beat()
  const beating = setInterval(beat, BEAT_MS)
  const isAlive = async (w: { host: string; pid: number }) => {
    const [score, [s, us]] = await Promise.all([redis.zscore(WORKERS_KEY, `${w.host}:${w.pid}`), redis.time()])
    return score !== null && Number(s) * 1000 + Number(us) / 1000 - Number(score) < DEAD_AFTER_MS
  }

  const open = (definition: PipelineDefinition) => {
    if (workers.has(definition.name) || definition.error) return
    const keys = pipelineKeys(definition.name)
    const ctx: PipelineContext = {
      name: definition.name,
      keys,
      redis,
      log: createRedisLogWriter(redis, keys.log, config.logMaxLines),
      load: () => loadPipeline(definition.file),
      file: definition.file,
      runsKeep: config.runsKeep,
      graceMs: config.stopGraceSeconds * 1000,
      worker: me,
      held,
      isAlive,
    }
    const worker = new Worker(definition.name, (job, _token, signal) => limit.around(() => processJob(ctx, job, signal)), {
      connection: redis,
      prefix: QUEUE_PREFIX,
      concurrency: 1,
      lockDuration: LOCK_MS,
      stalledInterval: STALLED_CHECK_MS,
      // Manual runs: a job back from a dead worker is recorded abandoned, never run again.
      maxStalledCount: 1,
    })
    // A lost lock means another worker may take the job: end the run here rather than overlap it.
    worker.on('lockRenewalFailed', (ids: string[]) => ids.forEach((id) => worker.cancelJob(id, 'lost its lock')))
    worker.on('error', (err) => {
      if (!/Connection is closed|ECONNREFUSED|ECONNRESET/.test(err.message)) log(`pipeline-cron worker: ${definition.name}: ${err.message}`)
    })
    workers.set(definition.name, worker)
  }
  for (const d of definitions) open(d)
  // A file added to the folder gets its worker without a restart.
  const rescan = setInterval(() => void folder.list().then((ds) => ds.forEach(open), () => undefined), RESCAN_MS)

  log(`pipeline-cron worker ${me.host} (PID ${me.pid}) on ${redactUrl(url)}: ${workers.size} pipeline(s) (${[...workers.keys()].join(', ')}), up to ${config.concurrency} run(s) at once`)
  return {
    async close() {
      clearInterval(beating)
      clearInterval(rescan)
      for (const run of held.values()) run.cancel()
      await Promise.all([...workers.values()].map((w) => w.close()))
      await redis.zrem(WORKERS_KEY, `${me.host}:${me.pid}`).catch(() => undefined)
      subscriber.disconnect()
      redis.disconnect()
    },
  }
}

const BEAT = `local t = redis.call('TIME')
redis.call('ZADD', KEYS[1], t[1] * 1000 + math.floor(t[2] / 1000), ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', t[1] * 1000 - 3600000)
return 1`

/**
 * `--concurrency`: runs this process takes at once, all pipelines together. At the limit, the
 * pipelines' workers stop fetching; a job fetched in that same instant waits here for a free
 * place (still holding its pipeline's one slot, so no other run of that pipeline starts).
 */
function createLimiter(max: number, workers: () => Worker[]) {
  let active = 0
  const waiting: (() => void)[] = []
  return {
    async around<T>(fn: () => Promise<T>): Promise<T> {
      while (active >= max) await new Promise<void>((resolve) => waiting.push(resolve))
      if (++active >= max) for (const w of workers()) if (!w.isPaused()) void w.pause(true)
      try {
        return await fn()
      } finally {
        active--
        const next = waiting.shift()
        if (next) next()
        else if (active < max) for (const w of workers()) if (w.isPaused()) w.resume()
      }
    },
  }
}
