/** The ledger's scripts on a real Redis: one record per slot, one terminal record per run, nothing for a stopped start. */
import type { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openRedis } from '../../adapters/redis/connection.js'
import { pipelineKeys } from '../../adapters/redis/keys.js'
import { abandonRun, commit, finishRun, readFacts, type ClusterCurrent } from '../../adapters/redis/ledger.js'
import type { RunRecord } from '../../src/ports.js'
import { startRedis, type TestRedis, redisDep } from '../cluster/redis-server.js'

let server: TestRedis
let redis: Redis
let n = 0

beforeAll(async () => {
  server = await startRedis()
  redis = openRedis(server.url)
})
afterAll(async () => {
  redis?.disconnect()
  await server?.stop()
})

const T = 1_800_000_000_000
const record = (id: string, slot: number | null, status: RunRecord['status']): RunRecord => ({
  id,
  instance_id: 'i1',
  trigger: slot === null ? 'manual' : 'schedule',
  status,
  scheduled_at: slot === null ? null : new Date(slot).toISOString(),
  started_at: new Date(T).toISOString(),
  finished_at: status === 'running' ? null : new Date(T).toISOString(),
  duration_ms: status === 'running' ? null : 0,
  steps: [],
})
const current = (id: string): ClusterCurrent => ({ id, trigger: 'schedule', started_at: new Date(T).toISOString(), step: null, index: 0, total: 1, step_started_at: null, worker: { host: 'h', pid: 1 }, instance_id: 'i1' })

async function fresh() {
  const keys = pipelineKeys(`ledger-${++n}`)
  await redis.set(keys.desired, '{"state":"started"}')
  return keys
}

describe.skipIf(redisDep.skip)('Redis ledger', () => {
  it('records a slot once - a second commit for the same slot is refused', async () => {
    const keys = await fresh()
    expect(await commit(redis, keys, await readFacts(redis, keys, T), [{ slot: T, record: record('a', T, 'skipped') }], null, 1000)).toBe('ok')
    const facts = await readFacts(redis, keys, T)
    expect(facts.slotRun).toBe('a')
    expect(await commit(redis, keys, { ...facts, cursorRaw: '' }, [{ slot: T, record: record('b', T, 'running') }], current('b'), 1000)).toBe('moved')
    expect(await commit(redis, keys, facts, [{ slot: T, record: record('b', T, 'running') }], current('b'), 1000)).toBe('taken')
    expect(await redis.hkeys(keys.runs)).toEqual(['a'])
  })

  it('records nothing for a start that changed since it was read - stopped meanwhile', async () => {
    const keys = await fresh()
    const facts = await readFacts(redis, keys, T)
    await redis.set(keys.desired, '{"state":"stopped"}')
    expect(await commit(redis, keys, facts, [{ slot: T, record: record('a', T, 'running') }], current('a'), 1000)).toBe('stale')
    expect(await redis.exists(keys.runs, keys.current, keys.slots)).toBe(0)
  })

  it('claims one run in progress at a time - a second claim while one runs is busy', async () => {
    const keys = await fresh()
    expect(await commit(redis, keys, await readFacts(redis, keys, null), [{ slot: null, record: record('m1', null, 'running') }], current('m1'), 1000)).toBe('ok')
    expect(await commit(redis, keys, await readFacts(redis, keys, null), [{ slot: null, record: record('m2', null, 'running') }], current('m2'), 1000)).toBe('busy')
  })

  it('turns a running record terminal once - the worker and an abandon race', async () => {
    const keys = await fresh()
    await commit(redis, keys, await readFacts(redis, keys, T), [{ slot: T, record: record('r', T, 'running') }], current('r'), 1000)
    const abandoned = await abandonRun(redis, keys, 'r', T + 5000, 'worker gone', 1000)
    expect(abandoned).toMatchObject({ status: 'abandoned', reason: 'worker gone', duration_ms: 5000 })
    expect(await finishRun(redis, keys, record('r', T, 'success'), 1000)).toBe(false)
    expect(await abandonRun(redis, keys, 'r', T + 6000, 'again', 1000)).toBeNull()
    expect(JSON.parse((await redis.hget(keys.runs, 'r'))!).status).toBe('abandoned')
    expect(await redis.exists(keys.current)).toBe(0)
    const [busy] = await redis.lrange(keys.busy, 0, 0)
    expect(busy).toMatch(new RegExp(`^${T},\\d+,r$`))
  })

  it('records a gap of 10,000 slots in one commit, keeping runs-keep runs - a week of workers down', async () => {
    const keys = await fresh()
    const records = Array.from({ length: 10_000 }, (_, i) => ({ slot: T + i * 1000, record: record(`g${i}`, T + i * 1000, 'missed') }))
    expect(await commit(redis, keys, await readFacts(redis, keys, T), records, null, 1000)).toBe('ok')
    expect(await redis.hlen(keys.runs)).toBe(1000)
    expect(await redis.hlen(keys.slots)).toBe(2000)
    expect(await redis.get(keys.cursor)).toBe(String(T + 9_999_000))
  })
})
