/**
 * The RunHistory port on Redis: records by id in a hash, their order of first appearance in a
 * sorted set, trimmed to `keep` runs, as the runs file is locally. A record written again for the
 * same id (running, then its result) replaces it and keeps its place.
 */
import type { Redis } from 'ioredis'
import type { RunHistory, RunRecord } from '../../src/ports.js'
import { runRecordSchema } from '../../src/schemas.js'
import type { PipelineKeys } from './keys.js'

/**
 * Lua: store one record (KEYS runs, order, seq, slots, slotOrder; ARGV id, json, keep). Also
 * defines `trim`, used by the ledger scripts that embed it.
 */
export const STORE_RUN_LUA = `
local function storeRun(id, json)
  if redis.call('HEXISTS', KEYS[1], id) == 0 then
    redis.call('ZADD', KEYS[2], redis.call('INCR', KEYS[3]), id)
  end
  redis.call('HSET', KEYS[1], id, json)
end
-- Drops the oldest members of a sorted set (and their hash fields) beyond keep, 1000 at a time
-- (unpack has a limit, and a gap of 10,000 ticks is recorded at once).
local function drop(set, hash, keep)
  local extra = redis.call('ZCARD', set) - keep
  while extra > 0 do
    local old = redis.call('ZRANGE', set, 0, math.min(extra, 1000) - 1)
    redis.call('HDEL', hash, unpack(old))
    redis.call('ZREM', set, unpack(old))
    extra = extra - #old
  end
end
local function trim(keep)
  drop(KEYS[2], KEYS[1], keep)
  -- The ledger keeps twice as many slots as runs: enough to tell a re-delivered tick apart.
  drop(KEYS[5], KEYS[4], keep * 2)
end
`

const APPEND = `${STORE_RUN_LUA}
storeRun(ARGV[1], ARGV[2])
trim(tonumber(ARGV[3]))
return 1`

/** The keys the run scripts take, in their order. */
export function runKeys(k: PipelineKeys): string[] {
  return [k.runs, k.order, k.seq, k.slots, k.slotOrder]
}

export function createRedisRunHistory(redis: Redis, keys: PipelineKeys, keep: number): RunHistory {
  return {
    async append(run) {
      await redis.eval(APPEND, 5, ...runKeys(keys), run.id, JSON.stringify(run), String(keep))
    },
    async list(limit) {
      const ids = await redis.zrevrange(keys.order, 0, limit - 1)
      if (ids.length === 0) return []
      const texts = await redis.hmget(keys.runs, ...ids)
      return texts.map(parseRun).filter((r): r is RunRecord => r !== null)
    },
    async get(id) {
      return parseRun(await redis.hget(keys.runs, id))
    },
  }
}

/** A stored record, or null for none (or one that is not a run record). */
export function parseRun(text: string | null | undefined): RunRecord | null {
  if (!text) return null
  try {
    const parsed = runRecordSchema.safeParse(JSON.parse(text))
    return parsed.success ? parsed.data : null
  } catch {
    return null
  }
}
