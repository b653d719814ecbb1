/**
 * Stop and drain reach the worker holding a run through Redis pub/sub, whichever replica was
 * asked: the replica publishes `{pipeline, run_id, mode, reply}`; the worker holding that run
 * cancels it (or lets it finish), then pushes `{survivors}` to the `reply` list, which the
 * replica waits on (BLPOP). Pub/sub may drop a message while a worker reconnects: workers also
 * look at the desired state every second while they run.
 */
import type { Redis } from 'ioredis'
import { z } from 'zod'
import { CONTROL_CHANNEL } from './keys.js'

export const controlMessageSchema = z.object({
  pipeline: z.string(),
  run_id: z.string(),
  mode: z.enum(['cancel', 'drain']),
  reply: z.string(),
})
export type ControlMessage = z.infer<typeof controlMessageSchema>

/** A run this worker holds: how to cancel it, and when it is over (with what survived the sweep). */
export interface HeldRun {
  jobId: string
  cancel(): void
  done: Promise<{ survivors: number[] }>
}

/** Listens for control messages on a connection of its own (a subscribed connection can do nothing else). */
export async function listenForControl(subscriber: Redis, replies: Redis, held: Map<string, HeldRun>): Promise<void> {
  subscriber.on('message', (channel: string, text: string) => {
    if (channel !== CONTROL_CHANNEL) return
    let message: ControlMessage
    try {
      message = controlMessageSchema.parse(JSON.parse(text))
    } catch {
      return
    }
    const run = held.get(message.run_id)
    if (!run) return
    if (message.mode === 'cancel') run.cancel()
    void run.done.then(async ({ survivors }) => {
      await replies.multi().lpush(message.reply, JSON.stringify({ survivors })).expire(message.reply, 60).exec()
    })
  })
  await subscriber.subscribe(CONTROL_CHANNEL)
}

/**
 * Asks the worker holding `runId` to end it (`cancel`) or to let it finish (`drain`), and waits up
 * to `waitMs` for its answer. Null when no worker answered (it died, or holds the run no more).
 */
export async function askWorker(redis: Redis, pipeline: string, runId: string, mode: 'cancel' | 'drain', waitMs: number): Promise<{ survivors: number[] } | null> {
  const reply = `pipeline-cron:reply:${runId}:${Date.now()}-${Math.random().toString(36).slice(2)}`
  // BLPOP holds its connection: one of its own, closed after.
  const waiter = redis.duplicate()
  try {
    const answer = waiter.blpop(reply, Math.max(1, Math.ceil(waitMs / 1000)))
    await redis.publish(CONTROL_CHANNEL, JSON.stringify({ pipeline, run_id: runId, mode, reply } satisfies ControlMessage))
    const got = await answer
    if (!got) return null
    const parsed = z.object({ survivors: z.array(z.number()) }).safeParse(JSON.parse(got[1]))
    return parsed.success ? parsed.data : { survivors: [] }
  } finally {
    waiter.disconnect()
  }
}
