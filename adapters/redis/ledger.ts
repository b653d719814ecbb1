/**
 * The ledger of run outcomes, keyed by pipeline and tick slot, written atomically (Lua) so that
 * every slot has exactly one record: a slot is claimed once, a `running` record turns terminal
 * once (by its worker, or as `abandoned` by whoever finds its worker gone), and nothing is
 * recorded for a start that was stopped meanwhile.
 */
import type { Redis } from 'ioredis'
import type { CurrentRun, RunRecord } from '../../src/ports.js'
import type { PipelineKeys } from './keys.js'
import { runKeys, STORE_RUN_LUA } from './run-history.js'
import type { BusySpan } from './tick-decision.js'

/** The run in progress, as Redis keeps it: what status shows, plus who runs it. */
export interface ClusterCurrent extends CurrentRun {
  worker: { host: string; pid: number }
  instance_id: string
}

export interface SlotRecord {
  /** The tick slot (ms), or null for a manual run. */
  slot: number | null
  record: RunRecord
}

export type CommitResult = 'ok' | 'stale' | 'moved' | 'taken' | 'busy'

// KEYS: runs, order, seq, slots, slotOrder, cursor, desired, current.
// ARGV: desired text, cursor text, keep, n, n x (slot, id, json), current json, new cursor.
const COMMIT = `${STORE_RUN_LUA}
if (redis.call('GET', KEYS[7]) or '') ~= ARGV[1] then return 'stale' end
if (redis.call('GET', KEYS[6]) or '') ~= ARGV[2] then return 'moved' end
local n = tonumber(ARGV[4])
for i = 0, n - 1 do
  local slot = ARGV[5 + i * 3]
  if slot ~= '' and redis.call('HEXISTS', KEYS[4], slot) == 1 then return 'taken' end
end
local current = ARGV[5 + n * 3]
if current ~= '' and redis.call('EXISTS', KEYS[8]) == 1 then return 'busy' end
for i = 0, n - 1 do
  local slot = ARGV[5 + i * 3]
  local id = ARGV[6 + i * 3]
  if slot ~= '' then
    redis.call('HSET', KEYS[4], slot, id)
    redis.call('ZADD', KEYS[5], tonumber(slot), slot)
  end
  storeRun(id, ARGV[7 + i * 3])
end
if current ~= '' then redis.call('SET', KEYS[8], current) end
if ARGV[6 + n * 3] ~= '' then redis.call('SET', KEYS[6], ARGV[6 + n * 3]) end
trim(tonumber(ARGV[3]))
return 'ok'`

// KEYS: runs, order, seq, slots, slotOrder, current, busy, last. ARGV: id, json, start ms, keep.
const FINISH = `${STORE_RUN_LUA}
local old = redis.call('HGET', KEYS[1], ARGV[1])
if not old or cjson.decode(old).status ~= 'running' then return 0 end
storeRun(ARGV[1], ARGV[2])
local current = redis.call('GET', KEYS[6])
if current and cjson.decode(current).id == ARGV[1] then redis.call('DEL', KEYS[6]) end
local t = redis.call('TIME')
redis.call('LPUSH', KEYS[7], ARGV[3] .. ',' .. (t[1] * 1000 + math.floor(t[2] / 1000)) .. ',' .. ARGV[1])
redis.call('LTRIM', KEYS[7], 0, 63)
redis.call('SET', KEYS[8], ARGV[2])
trim(tonumber(ARGV[4]))
return 1`

const STEP = `
local current = redis.call('GET', KEYS[1])
if current and cjson.decode(current).id == ARGV[1] then redis.call('SET', KEYS[1], ARGV[2]) return 1 end
return 0`

export interface LedgerFacts {
  now: number
  desiredRaw: string
  cursorRaw: string
  busy: BusySpan[]
  current: ClusterCurrent | null
  /** The run already recorded for the slot asked about, if any. */
  slotRun: string | null
}

/** One consistent read (MULTI) of what a tick decision needs, with Redis TIME. */
export async function readFacts(redis: Redis, keys: PipelineKeys, slot: number | null): Promise<LedgerFacts> {
  const m = redis.multi().time().get(keys.desired).get(keys.cursor).lrange(keys.busy, 0, -1).get(keys.current)
  if (slot !== null) m.hget(keys.slots, String(slot))
  const replies = (await m.exec()) ?? []
  const value = (i: number) => {
    const [err, v] = replies[i] ?? [new Error('no reply'), null]
    if (err) throw err
    return v
  }
  const [s, us] = value(0) as [string, string]
  return {
    now: Number(s) * 1000 + Math.floor(Number(us) / 1000),
    desiredRaw: (value(1) as string | null) ?? '',
    cursorRaw: (value(2) as string | null) ?? '',
    busy: (value(3) as string[]).map(parseBusy).filter((b): b is BusySpan => b !== null),
    current: parseCurrent(value(4) as string | null),
    slotRun: slot !== null ? (value(5) as string | null) : null,
  }
}

/** Writes the records (and claims the run in progress, when `current` is given) if nothing moved since `facts`. */
export async function commit(redis: Redis, keys: PipelineKeys, facts: LedgerFacts, records: SlotRecord[], current: ClusterCurrent | null, keep: number): Promise<CommitResult> {
  const slots = records.map((r) => r.slot).filter((s): s is number => s !== null)
  const cursor = slots.length ? Math.max(...slots, facts.cursorRaw ? Number(facts.cursorRaw) : -Infinity) : null
  const args = [facts.desiredRaw, facts.cursorRaw, String(keep), String(records.length)]
  for (const r of records) args.push(r.slot === null ? '' : String(r.slot), r.record.id, JSON.stringify(r.record))
  args.push(current ? JSON.stringify(current) : '', cursor === null ? '' : String(cursor))
  const keyList = [...runKeys(keys), keys.cursor, keys.desired, keys.current]
  return (await redis.eval(COMMIT, keyList.length, ...keyList, ...args)) as CommitResult
}

/** Turns a `running` record terminal; false when it already was (another worker abandoned it, or the reverse). */
export async function finishRun(redis: Redis, keys: PipelineKeys, record: RunRecord, keep: number): Promise<boolean> {
  const keyList = [...runKeys(keys), keys.current, keys.busy, keys.last]
  const start = String(Date.parse(record.started_at))
  return (await redis.eval(FINISH, keyList.length, ...keyList, record.id, JSON.stringify(record), start, String(keep))) === 1
}

/** Publishes the step in progress, if the run is still the current one. */
export async function updateCurrent(redis: Redis, keys: PipelineKeys, current: ClusterCurrent): Promise<void> {
  await redis.eval(STEP, 1, keys.current, current.id, JSON.stringify(current))
}

/** Records a run whose worker is gone as `abandoned` (once; false if it already ended). */
export async function abandonRun(redis: Redis, keys: PipelineKeys, id: string, now: number, why: string, keep: number): Promise<RunRecord | null> {
  const text = await redis.hget(keys.runs, id)
  const run = text ? (JSON.parse(text) as RunRecord) : null
  if (!run || run.status !== 'running') return null
  const record: RunRecord = { ...run, status: 'abandoned', reason: why, finished_at: new Date(now).toISOString(), duration_ms: Math.max(0, now - Date.parse(run.started_at)) }
  return (await finishRun(redis, keys, record, keep)) ? record : null
}

export function parseCurrent(text: string | null): ClusterCurrent | null {
  if (!text) return null
  try {
    return JSON.parse(text) as ClusterCurrent
  } catch {
    return null
  }
}

function parseBusy(text: string): BusySpan | null {
  const [start, end, id] = text.split(',')
  if (!start || !end || !id) return null
  return { start: Number(start), end: Number(end), id }
}
