/**
 * A pipeline's desired state in Redis: started (with its schedule and this start's instance id)
 * or stopped. Only start, stop, pause and resume write it, holding the pipeline's lock; workers
 * read it before every run and record nothing for a job of another start.
 */
import type { Redis } from 'ioredis'
import { z } from 'zod'
import { ApiError } from '../../src/errors.js'
import { scheduleSchema } from '../../src/schemas.js'
import type { PipelineKeys } from './keys.js'

export const clusterDesiredSchema = z.object({
  state: z.enum(['started', 'stopped']),
  /** New at each start: marks its jobs and its steps (PIPELINE_CRON_INSTANCE). */
  instance_id: z.string(),
  schedule: scheduleSchema,
  run_immediately: z.boolean(),
  started_at: z.string(),
  paused: z.boolean(),
  /** Redis time (ms) of the pause: ticks from then on are skipped as paused. */
  paused_at: z.number().nullable(),
  /** How the last stop asked the run in progress to end. */
  stop_mode: z.enum(['cancel', 'drain']).nullable(),
  updated_at: z.string(),
})
export type ClusterDesired = z.infer<typeof clusterDesiredSchema>

/** The desired state and its exact text (the ledger compares the text to see it did not change). */
export async function readDesired(redis: Redis, keys: PipelineKeys): Promise<{ value: ClusterDesired | null; raw: string }> {
  const raw = (await redis.get(keys.desired)) ?? ''
  return { value: parseDesired(raw), raw }
}

export function parseDesired(raw: string | null): ClusterDesired | null {
  if (!raw) return null
  try {
    const parsed = clusterDesiredSchema.safeParse(JSON.parse(raw))
    return parsed.success ? parsed.data : null
  } catch {
    return null
  }
}

const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`
const LOCK_TTL_MS = 30_000

/**
 * Runs `fn` holding the pipeline's lock (SET NX PX, released only by its holder), so start, stop,
 * pause and resume of one pipeline never interleave across replicas. 503 after `waitMs`.
 */
export async function withPipelineLock<T>(redis: Redis, keys: PipelineKeys, fn: () => Promise<T>, waitMs = 10_000): Promise<T> {
  const token = `${Date.now()}-${Math.random().toString(36).slice(2)}`
  const deadline = Date.now() + waitMs
  while ((await redis.set(keys.lock, token, 'PX', LOCK_TTL_MS, 'NX')) !== 'OK') {
    if (Date.now() >= deadline) throw new ApiError(503, 'Busy: another start or stop of this pipeline is in progress; try again')
    await new Promise((r) => setTimeout(r, 50))
  }
  try {
    return await fn()
  } finally {
    await redis.eval(RELEASE, 1, keys.lock, token).catch(() => undefined)
  }
}

/** Redis's clock (ms): the one every host orders ticks and runs by. */
export async function redisNow(redis: Redis): Promise<number> {
  const [s, us] = await redis.time()
  return Number(s) * 1000 + Math.floor(Number(us) / 1000)
}
