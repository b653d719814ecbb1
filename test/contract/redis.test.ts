/** The LogStore and RunHistory contracts against their Redis implementations (cluster mode), on a redis-server of the test's own. */
import type { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openRedis } from '../../adapters/redis/connection.js'
import { pipelineKeys } from '../../adapters/redis/keys.js'
import { createRedisLogStore } from '../../adapters/redis/log-store.js'
import { createRedisLogWriter, type StreamEntry } from '../../adapters/redis/log-stream.js'
import { createRedisRunHistory } from '../../adapters/redis/run-history.js'
import { startRedis, type TestRedis, redisDep } from '../cluster/redis-server.js'
import { logStoreContract } from './log-store.contract.js'
import { runHistoryContract } from './run-history.contract.js'

let server: TestRedis
const opened: Redis[] = []
let n = 0

beforeAll(async () => {
  server = await startRedis()
})
afterAll(async () => {
  for (const r of opened) r.disconnect()
  await server?.stop()
})

function connect(): Redis {
  const redis = openRedis(server.url)
  opened.push(redis)
  return redis
}

describe.skipIf(redisDep.skip)('Redis stream LogStore + LogWriter', () => {
  logStoreContract({
    it,
    expect,
    async make() {
      // The API's store and the worker's writer on one connection: their calls keep their order.
      const redis = connect()
      const key = pipelineKeys(`log-${++n}`).log
      return {
        store: createRedisLogStore(redis, key, { maxLines: 1_000_000, blockMs: 500 }),
        writer: createRedisLogWriter(redis, key, 1_000_000),
        async raw() {
          const entries = (await redis.xrange(key, '-', '+')) as StreamEntry[]
          return entries.filter(([, f]) => f[0] === 'l').map(([, f]) => `${f[1]}\n`).join('')
        },
        cleanup: async () => void (await redis.del(key)),
      }
    },
  })
})

describe.skipIf(redisDep.skip)('Redis RunHistory', () => {
  runHistoryContract({
    it,
    expect,
    async make() {
      const redis = connect()
      const keys = pipelineKeys(`runs-${++n}`)
      return {
        history: createRedisRunHistory(redis, keys, 1000),
        reopen: () => createRedisRunHistory(connect(), keys, 1000),
        cleanup: async () => void (await redis.del(keys.runs, keys.order, keys.seq)),
      }
    },
  })
})

describe.skipIf(redisDep.skip)('Redis RunHistory retention', () => {
  it('keeps the newest runs-keep runs, dropping the oldest - 2,500 records, keep 1000', async () => {
    const redis = connect()
    const keys = pipelineKeys(`keep-${++n}`)
    const history = createRedisRunHistory(redis, keys, 1000)
    const run = (i: number) => ({ id: `r${String(i).padStart(4, '0')}`, instance_id: 'i', trigger: 'schedule' as const, status: 'success' as const, scheduled_at: null, started_at: new Date(i * 1000).toISOString(), finished_at: null, duration_ms: 0, steps: [] })
    await Promise.all(Array.from({ length: 2500 }, (_, i) => history.append(run(i))))
    const runs = await history.list(100_000)
    expect(runs).toHaveLength(1000)
    expect(runs[0]!.id).toBe('r2499')
    expect(runs[999]!.id).toBe('r1500')
    expect(await history.get('r1499')).toBeNull()
    expect(await redis.hlen(keys.runs)).toBe(1000)
  })
})
