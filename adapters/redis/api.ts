/**
 * An API replica in cluster mode (`serve --redis URL`): the same Hono app and routes, its ports on
 * Redis. It runs no step itself unless `--worker` is given. Loaded only when `--redis` is.
 */
import { Queue } from 'bullmq'
import type { Context } from 'hono'
import type { Redis } from 'ioredis'
import { resolve } from 'node:path'
import { createApp } from '../../src/app.js'
import type { Config } from '../../src/config.js'
import { isLoopback } from '../../src/config.js'
import { createCatalog, type PipelineDefinition, type PipelineHandle } from '../../src/control/catalog.js'
import type { DocsAssets } from '../../src/docs/assets.js'
import { ConfigError } from '../../src/errors.js'
import { formatLine } from '../../src/log-line.js'
import { loadPipeline, resolvePipelinePath } from '../posix/pipeline-file.js'
import { createPipelineFolder } from '../posix/pipeline-folder.js'
import { connectOrFail, openRedis, redactUrl, redisWarnings } from './connection.js'
import { createClusterController } from './controller.js'
import { pipelineKeys, QUEUE_PREFIX } from './keys.js'
import { createRedisLogStore } from './log-store.js'
import { createRedisRunHistory } from './run-history.js'
import { startClusterWorker, type ClusterWorker } from './worker.js'

export interface RuntimeParts {
  clientAddress: (c: Context) => string | undefined
  docsAssets?: DocsAssets
}

// As in the local mode: a drain that takes longer than this turns into a cancel.
const DRAIN_TIMEOUT_MS = 15 * 60_000

export async function prepareClusterServer(config: Config, parts: RuntimeParts) {
  const url = config.redis!
  const redis = openRedis(url)
  await connectOrFail(redis, url)
  // It reconnects by itself; a request that fails meanwhile answers 500 and is logged.
  redis.on('error', () => undefined)
  try {
    return await prepare(config, parts, redis)
  } catch (err) {
    // A bad pipeline file after connecting: the open connection must not keep the process alive.
    redis.disconnect()
    throw err
  }
}

async function prepare(config: Config, parts: RuntimeParts, redis: Redis) {
  const url = config.redis!
  const warnings = await redisWarnings(redis)
  const defaultFile = config.pipelinesDir && !config.pipeline ? resolvePipelinePath(null, process.cwd(), { bundled: false }) : resolvePipelinePath(config.pipeline)
  const folder = createPipelineFolder({ defaultFile, dir: config.pipelinesDir ? resolve(config.pipelinesDir) : null })
  const definitions = await folder.load()
  if (config.defaultPipeline && !definitions.some((d) => d.name === config.defaultPipeline)) {
    throw new ConfigError(`--default-pipeline: no pipeline named "${config.defaultPipeline}" (known: ${definitions.map((d) => d.name).join(', ') || 'none'})`)
  }
  const queues: Queue[] = []

  const open = (definition: PipelineDefinition): PipelineHandle => {
    const keys = pipelineKeys(definition.name)
    const logs = createRedisLogStore(redis, keys.log, { maxLines: config.logMaxLines })
    const queue = new Queue(definition.name, { connection: redis, prefix: QUEUE_PREFIX })
    queue.on('error', () => undefined)
    queues.push(queue)
    return {
      name: definition.name,
      logs,
      runs: createRedisRunHistory(redis, keys, config.runsKeep),
      controller: createClusterController({
        name: definition.name,
        keys,
        redis,
        queue,
        checkPipeline: async () => ({ steps: (await loadPipeline(definition.file)).steps.length }),
        note: (text) => logs.append(formatLine(text, new Date())).catch(() => undefined),
        graceMs: config.stopGraceSeconds * 1000,
        drainTimeoutMs: DRAIN_TIMEOUT_MS,
        runsKeep: config.runsKeep,
      }),
    }
  }

  const pipelines = createCatalog({ source: folder, open, defaultName: config.defaultPipeline })
  const app = createApp({ pipelines, minIntervalSeconds: config.minIntervalSeconds, token: config.token, readToken: config.readToken, clientAddress: parts.clientAddress, docsAssets: parts.docsAssets })
  const worker: ClusterWorker | null = config.worker ? await startClusterWorker(config) : null

  return {
    app,
    deps: {
      close() {
        void (async () => {
          await worker?.close()
          await Promise.all(queues.map((q) => q.close().catch(() => undefined)))
          redis.disconnect()
        })()
      },
    },
    banner(at: string, runtime: string): string[] {
      const what = definitions.length === 1 ? `pipeline: ${definitions[0]!.file}` : `${definitions.length} pipelines: ${definitions.map((d) => d.name).join(', ')}`
      const role = worker ? 'API and worker' : 'API replica, runs no step'
      const lines = [`pipeline-cron listening on ${at} (runtime: ${runtime}; cluster mode on ${redactUrl(url)}, ${role}; ${what})`, `dashboard: ${at}/`, ...warnings]
      if (!isLoopback(config.host) && !config.token) lines.push(`WARNING: listening on ${config.host} without a token: anyone who can reach this port can run the pipeline. Set --token or CRON_API_TOKEN.`)
      for (const d of definitions.filter((d) => d.error)) lines.push(`WARNING: ${d.error}`)
      return lines
    },
  }
}
