/**
 * Where cluster mode keeps things in Redis. BullMQ's own keys live under QUEUE_PREFIX (one queue
 * per pipeline, so that its global concurrency of 1 keeps that pipeline's runs from overlapping);
 * ours live under `pipeline-cron:p:<name>:`.
 */

/** BullMQ's key prefix; the queue of a pipeline is named after the pipeline. */
export const QUEUE_PREFIX = 'pipeline-cron:q'
/** The job scheduler of a started pipeline (one per queue). */
export const SCHEDULER_ID = 'tick'
/** Stop and drain requests for the worker holding a run (Redis pub/sub). */
export const CONTROL_CHANNEL = 'pipeline-cron:control'
/** Workers say they are alive here (a sorted set: `host:pid` scored by the last beat). */
export const WORKERS_KEY = 'pipeline-cron:workers'

export interface PipelineKeys {
  /** Run records by id (a hash of JSON). */
  runs: string
  /** Run ids in the order they were first recorded (a sorted set scored by `seq`). */
  order: string
  seq: string
  /** The ledger: tick slot (ms) → the one run recorded for it (a hash), and the slots in order. */
  slots: string
  slotOrder: string
  /** The latest slot recorded: the gap from it to a tick's slot is what BullMQ coalesced. */
  cursor: string
  /** Recent runs' `start,end,id` (ms, Redis time): a tick inside one came while a run was going. */
  busy: string
  /** The run in progress (JSON), while one is. */
  current: string
  /** The last finished run (JSON), for status. */
  last: string
  /** What should run: started or stopped, the schedule, paused (JSON). */
  desired: string
  /** Start, stop, pause and resume hold this while they change `desired`. */
  lock: string
  /** The log: a stream, one entry per line. */
  log: string
}

export function pipelineKeys(name: string): PipelineKeys {
  const base = `pipeline-cron:p:${name}:`
  return {
    runs: `${base}runs`,
    order: `${base}order`,
    seq: `${base}seq`,
    slots: `${base}slots`,
    slotOrder: `${base}slot-order`,
    cursor: `${base}cursor`,
    busy: `${base}busy`,
    current: `${base}current`,
    last: `${base}last`,
    desired: `${base}desired`,
    lock: `${base}lock`,
    log: `${base}log`,
  }
}
