/**
 * Connections to the operator's Redis: one clear line when it cannot be reached, warnings when it
 * is set up to lose what cluster mode keeps there, and reconnection after a restart.
 */
import { Redis } from 'ioredis'
import { ConfigError } from '../../src/errors.js'

export interface RedisOptions {
  /** Workers and blocking readers wait for Redis instead of failing a command (BullMQ asks for it). */
  waitForever?: boolean
}

/**
 * A connection to `url`. It reconnects on its own (every 100-500 ms) after Redis restarts;
 * commands issued meanwhile wait for it.
 */
export function openRedis(url: string, o: RedisOptions = {}): Redis {
  return new Redis(url, {
    maxRetriesPerRequest: o.waitForever ? null : 20,
    retryStrategy: (times) => Math.min(100 + times * 50, 500),
    lazyConnect: true,
  })
}

/** Connects, or throws a ConfigError naming the URL and the cause within `timeoutMs`. */
export async function connectOrFail(redis: Redis, url: string, timeoutMs = 5000): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined
  let onError: (err: Error & { code?: string }) => void = () => undefined
  // Refused or unknown host: said at once, not after the retries run out.
  const refused = new Promise<never>((_, reject) => {
    onError = (err) => {
      if (err.code && /^(ECONNREFUSED|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH)$/.test(err.code)) reject(new Error(err.code))
    }
  })
  redis.on('error', onError)
  try {
    const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer in ${timeoutMs / 1000} s`)), timeoutMs)))
    await Promise.race([redis.connect().then(() => redis.ping()), refused, timeout])
  } catch (err) {
    redis.disconnect()
    throw new ConfigError(`--redis: cannot reach Redis at ${redactUrl(url)} (${(err as Error).message})`)
  } finally {
    clearTimeout(timer)
    redis.off('error', onError)
  }
}

/**
 * What in Redis's settings can lose cluster mode's data: an eviction policy other than
 * `noeviction` (Redis would drop run records and queue jobs under memory pressure), or no
 * persistence (a restart would forget every schedule and record). One line each.
 */
export async function redisWarnings(redis: Redis): Promise<string[]> {
  const get = async (name: string): Promise<string | null> => {
    try {
      const reply = (await redis.config('GET', name)) as string[]
      return reply[1] ?? null
    } catch {
      return null
    }
  }
  const [policy, aof, save] = await Promise.all([get('maxmemory-policy'), get('appendonly'), get('save')])
  const out: string[] = []
  if (policy === null) out.push('WARNING: cannot read Redis settings (CONFIG GET is not allowed): check that maxmemory-policy is noeviction and persistence (AOF) is on')
  else if (policy !== 'noeviction') out.push(`WARNING: Redis maxmemory-policy is ${policy}: under memory pressure Redis would drop queued ticks and run records; set it to noeviction`)
  if (aof === 'no' && (save === null || save.trim() === '')) out.push('WARNING: Redis persistence is off (appendonly no, no save points): a Redis restart forgets every schedule and run record; set appendonly yes')
  return out
}

/** The URL without its password, for messages. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/([^@/]*):([^@/]*)@/, '//$1:***@')
}
