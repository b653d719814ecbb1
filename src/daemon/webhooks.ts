/**
 * Webhooks: a pipeline's events POSTed as JSON to the URLs of its `notify` list, signed with
 * HMAC-SHA256 when a secret is named. Sent in the background: a hook that hangs or fails never
 * delays a run or a tick, nor changes a run's result. Each attempt is logged; the URL is logged by
 * its origin only (a hook's path often is its secret) and a secret never is.
 */
import type { NotifyEvent, NotifyTarget } from '../pipeline.js'
import type { RunRecord } from '../ports.js'
import { VERSION } from '../version.js'

/** Waits before the 2nd, 3rd and 4th attempt. */
export const RETRY_DELAYS_MS = [1000, 2000, 4000]
/** An attempt without an answer this long fails. */
export const ATTEMPT_TIMEOUT_MS = 10_000

export interface PendingDelivery {
  event: NotifyEvent
  run_id: string
  /** The target's origin, as it is logged. */
  to: string
}

export interface NotifierOptions {
  pipeline: string
  targets: NotifyTarget[]
  /** Where `secret_env` names are looked up: the daemon's environment. */
  env: Record<string, string | undefined>
  fetch: typeof fetch
  log: (text: string) => void
  /** Called whenever the set of deliveries in flight changes (kept in the state file, for after a crash). */
  onPending?: (pending: PendingDelivery[]) => void
  retryDelaysMs?: number[]
  timeoutMs?: number
}

export interface Notifier {
  /** Queues the event for every target that wants it; returns at once. */
  send(event: NotifyEvent, run: RunRecord): void
  /** Deliveries still in flight. */
  pending(): PendingDelivery[]
  /** Stops every delivery in flight, logging each as lost with `why` (a stop). */
  abandon(why: string): void
}

/** What a receiver gets: `{event, pipeline, run}`, `run` as `GET …/runs/{id}` answers it. */
export function webhookBody(event: NotifyEvent, pipeline: string, run: RunRecord): string {
  return JSON.stringify({ event, pipeline, run })
}

/** `sha256=<hex>` of the exact body, as `X-Pipeline-Cron-Signature` carries it. */
export async function signBody(secret: string, body: string): Promise<string> {
  const encoder = new TextEncoder()
  const key = await crypto.subtle.importKey('raw', encoder.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign'])
  const mac = new Uint8Array(await crypto.subtle.sign('HMAC', key, encoder.encode(body)))
  return `sha256=${[...mac].map((b) => b.toString(16).padStart(2, '0')).join('')}`
}

export function createNotifier(options: NotifierOptions): Notifier {
  const delays = options.retryDelaysMs ?? RETRY_DELAYS_MS
  const timeoutMs = options.timeoutMs ?? ATTEMPT_TIMEOUT_MS
  const inFlight = new Map<symbol, { delivery: PendingDelivery; abort: AbortController }>()
  const changed = () => options.onPending?.(pending())
  const pending = () => [...inFlight.values()].map((f) => f.delivery)

  async function deliver(target: NotifyTarget, event: NotifyEvent, run: RunRecord) {
    const to = originOf(target.url)
    const key = Symbol(to)
    const abort = new AbortController()
    inFlight.set(key, { delivery: { event, run_id: run.id, to }, abort })
    changed()
    const body = webhookBody(event, options.pipeline, run)
    const headers: Record<string, string> = { 'Content-Type': 'application/json', 'User-Agent': `pipeline-cron/${VERSION}` }
    const secret = target.secret_env ? options.env[target.secret_env] : undefined
    if (target.secret_env && !secret) options.log(`Webhook ${event} → ${to}: ${target.secret_env} is not set; sending it unsigned`)
    if (secret) headers['X-Pipeline-Cron-Signature'] = await signBody(secret, body)
    const attempts = delays.length + 1
    try {
      for (let attempt = 1; attempt <= attempts; attempt++) {
        const outcome = await attemptOnce(options.fetch, target.url, headers, body, abort.signal, timeoutMs)
        if (abort.signal.aborted) return
        const of = `attempt ${attempt} of ${attempts}`
        if (outcome.ok) {
          options.log(`Webhook ${event} → ${to}: ${outcome.text} (${of})`)
          return
        }
        if (attempt === attempts) {
          options.log(`Webhook ${event} → ${to}: ${outcome.text} (${of}); lost after ${attempts} attempts`)
          return
        }
        const wait = delays[attempt - 1]!
        options.log(`Webhook ${event} → ${to}: ${outcome.text} (${of}), retrying in ${wait / 1000}s`)
        if (!(await sleepUnlessAborted(wait, abort.signal))) return
      }
    } finally {
      inFlight.delete(key)
      changed()
    }
  }

  return {
    send(event, run) {
      for (const target of options.targets) {
        if (target.on.includes(event)) void deliver(target, event, run).catch((err) => options.log(`Webhook ${event} → ${originOf(target.url)}: ${(err as Error).message}`))
      }
    },
    pending,
    abandon(why) {
      for (const { delivery, abort } of inFlight.values()) {
        abort.abort()
        options.log(`Webhook ${delivery.event} for run ${delivery.run_id} → ${delivery.to}: lost (${why})`)
      }
      inFlight.clear()
      changed()
    },
  }
}

/** Which event a finished run is: `failure`, `success`, and also `recovery` for a success after a failure. */
export function eventsOf(run: RunRecord, previous: RunRecord['status'] | null): NotifyEvent[] {
  // A missed tick (cluster mode: no worker started it in time) is a tick without a run, as a skipped one is.
  if (run.status === 'skipped' || run.status === 'missed') return ['skipped']
  if (run.status === 'success') return previous && isFailure(previous) ? ['success', 'recovery'] : ['success']
  if (isFailure(run.status)) return ['failure']
  return []
}

export function isFailure(status: RunRecord['status']): boolean {
  return status === 'failed' || status === 'timed_out' || status === 'abandoned'
}

async function attemptOnce(fetch: typeof globalThis.fetch, url: string, headers: Record<string, string>, body: string, stop: AbortSignal, timeoutMs: number): Promise<{ ok: boolean; text: string }> {
  const started = Date.now()
  const signal = AbortSignal.any([stop, AbortSignal.timeout(timeoutMs)])
  try {
    const res = await fetch(url, { method: 'POST', headers, body, signal, redirect: 'manual' })
    await res.body?.cancel().catch(() => undefined)
    const took = `${Date.now() - started}ms`
    return { ok: res.status >= 200 && res.status < 300, text: `HTTP ${res.status} in ${took}` }
  } catch (err) {
    const e = err as Error & { cause?: { code?: string } }
    if (e.name === 'TimeoutError') return { ok: false, text: `no answer in ${timeoutMs / 1000}s` }
    return { ok: false, text: `could not connect (${e.cause?.code ?? e.message})` }
  }
}

function sleepUnlessAborted(ms: number, signal: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(true), ms)
    signal.addEventListener('abort', () => (clearTimeout(timer), resolve(false)), { once: true })
  })
}

/** `https://hooks.example.com`: enough to tell hooks apart, nothing of a secret path or query. */
export function originOf(url: string): string {
  try {
    return new URL(url).origin
  } catch {
    return 'an invalid URL'
  }
}
