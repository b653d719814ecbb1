/**
 * What the API server and the daemon say to each other over the control channel (a Unix socket
 * in STATE_DIR), and what they keep on disk: one zod schema per message and per file, so both
 * sides read exactly what the other writes. Messages are JSON, one per line.
 */
import { z } from 'zod'
import { pipelineSchema } from '../pipeline.js'
import { currentRunSchema, lastRunSchema, scheduleSchema } from '../schemas.js'

/** Where one pipeline lives on disk: its file, its log, and the folder of its state and history. */
export const pipelineHomeSchema = z.object({
  name: z.string(),
  /** Absolute path of the pipeline file, read again at each start. */
  file: z.string(),
  log_file: z.string(),
  /** Holds state.json, runs.jsonl and desired.json. */
  dir: z.string(),
})
export type PipelineHome = z.infer<typeof pipelineHomeSchema>

/**
 * A pipeline's desired state (desired.json): written by the API under the lock on start, stop,
 * pause and resume, and nowhere else; read by a daemon that starts, to bring back what was running.
 */
export const desiredStateSchema = z.object({
  state: z.enum(['started', 'stopped']),
  home: pipelineHomeSchema,
  schedule: scheduleSchema,
  run_immediately: z.boolean(),
  /** The first start: interval ticks stay on its grid across daemon restarts. */
  anchor: z.string(),
  paused: z.boolean(),
  updated_at: z.string(),
  /**
   * The pipeline as the server checked it at start. A daemon that resumes runs this, so a restart
   * brings back what was started even if the file was edited into an invalid one or removed since
   * (the file is read again at the next start). Absent in files of earlier builds: their file is read.
   */
  pipeline: pipelineSchema.optional(),
})
export type DesiredState = z.infer<typeof desiredStateSchema>

/** The daemon's settings: one validated object on its command line (`--settings=<json>`). */
export const daemonSettingsSchema = z.object({
  instance_id: z.string().min(1),
  runtime: z.string(),
  state_dir: z.string(),
  log_max_bytes: z.number().int().positive(),
  log_keep: z.number().int().min(0),
  grace_ms: z.number().int().min(0),
  runs_keep: z.number().int().positive(),
  /** How long a drain may wait before it turns into a cancel. */
  drain_timeout_ms: z.number().int().positive(),
})
export type DaemonSettings = z.infer<typeof daemonSettingsSchema>

/** One started pipeline as the daemon sees it; pushed to every connected server on each change. */
export const pipelineLiveSchema = z.object({
  /** Marks every process of this pipeline's tree (PIPELINE_CRON_INSTANCE); new at each start. */
  instance_id: z.string(),
  started_at: z.string(),
  schedule: scheduleSchema,
  /** Interval ticks fall on anchor + k * interval (the first start; kept across restarts). */
  anchor: z.string(),
  next_run_at: z.string().nullable(),
  current_run: currentRunSchema.nullable(),
  last_run: lastRunSchema.nullable(),
  paused: z.boolean(),
  stopping: z.enum(['cancel', 'drain']).nullable(),
})
export type PipelineLive = z.infer<typeof pipelineLiveSchema>

/** A pipeline's state.json: its live state plus the daemon that holds it (pid and instance id). */
export const pipelineStateFileSchema = pipelineLiveSchema.extend({
  pid: z.number().int(),
  /** The daemon's own instance id, carried on its command line (`--instance=<id>`). */
  daemon_instance: z.string(),
  runtime: z.string(),
  run_immediately: z.boolean(),
  pipeline_file: z.string(),
  /** Webhook deliveries in flight: logged as lost by whoever cleans up after a crash. */
  pending_webhooks: z.array(z.object({ event: z.string(), run_id: z.string(), to: z.string() })).optional(),
})
export type PipelineStateFile = z.infer<typeof pipelineStateFileSchema>

/** STATE_DIR/daemon.json: the one daemon of this state dir, claimed atomically at its start. */
export const daemonClaimSchema = z.object({
  pid: z.number().int(),
  instance_id: z.string(),
  runtime: z.string(),
  started_at: z.string(),
})
export type DaemonClaim = z.infer<typeof daemonClaimSchema>

const pipelineName = z.string().min(1).max(64)

/** API server → daemon. Every request gets exactly one reply with the same `id`. */
export const requestSchema = z.discriminatedUnion('op', [
  z.object({ id: z.number(), op: z.literal('hello') }),
  // `desired.pipeline`: the file as the server just read and checked it, so it is read once per start.
  z.object({ id: z.number(), op: z.literal('start'), desired: desiredStateSchema }),
  z.object({ id: z.number(), op: z.literal('stop'), pipeline: pipelineName, mode: z.enum(['cancel', 'drain']) }),
  // `expires_at` (ms since the epoch): a request read after it (a daemon frozen meanwhile) starts nothing.
  z.object({ id: z.number(), op: z.literal('run'), pipeline: pipelineName, expires_at: z.number().optional() }),
  z.object({ id: z.number(), op: z.literal('pause'), pipeline: pipelineName }),
  z.object({ id: z.number(), op: z.literal('resume'), pipeline: pipelineName }),
])
export type Request = z.infer<typeof requestSchema>
export type RequestOp = Request['op']

/** Why a request was refused; the API turns each into its HTTP status and detail. */
export const refusalSchema = z.enum(['not_running', 'already_running', 'busy', 'stopping', 'paused', 'not_paused', 'failed', 'expired'])
export type Refusal = z.infer<typeof refusalSchema>

/** Daemon → API server: replies, and pushes of state. */
export const messageSchema = z.union([
  z.object({
    type: z.literal('reply'),
    id: z.number(),
    ok: z.literal(true),
    run_id: z.string().optional(),
    survivors: z.array(z.number()).optional(),
  }),
  z.object({ type: z.literal('reply'), id: z.number(), ok: z.literal(false), refusal: refusalSchema, detail: z.string() }),
  z.object({
    type: z.literal('hello'),
    pid: z.number().int(),
    instance_id: z.string(),
    runtime: z.string(),
    started_at: z.string(),
    pipelines: z.record(z.string(), pipelineLiveSchema),
  }),
  z.object({ type: z.literal('pipeline'), name: z.string(), live: pipelineLiveSchema.nullable() }),
])
export type Message = z.infer<typeof messageSchema>
export type Reply = Extract<Message, { type: 'reply' }>

/** Parses one line of the channel; null for anything that is not a valid message of `schema`. */
export function decode<T>(schema: z.ZodType<T>, line: string): T | null {
  let raw: unknown
  try {
    raw = JSON.parse(line)
  } catch {
    return null
  }
  const parsed = schema.safeParse(raw)
  return parsed.success ? parsed.data : null
}
