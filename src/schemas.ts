import { z } from '@hono/zod-openapi'
import { cronProblem, isValidTimeZone } from './schedule.js'

/** Query parameters `lines` and `limit`: integers from 1 to 100000, so one request cannot ask for an unbounded read. */
export const MAX_LINES = 100_000

export const errorSchema = z
  .object({
    error: z.literal(true),
    detail: z.string(),
    timestamp: z.string(),
  })
  .openapi('Error', {
    example: { error: true, detail: 'interval_seconds: must be an integer >= 10', timestamp: '2025-12-26T10:50:00.000Z' },
  })

const timestamp = z.string().openapi({ description: 'ISO 8601, UTC, with milliseconds', example: '2025-12-26T10:30:45.123Z' })

export const successSchema = z
  .object({ success: z.literal(true), message: z.string(), timestamp })
  .openapi('Success')

export const healthSchema = z.object({ status: z.literal('healthy'), timestamp }).openapi('Health')

export const scheduleSchema = z
  .discriminatedUnion('type', [
    z.object({ type: z.literal('interval'), interval_seconds: z.number().int() }),
    z.object({ type: z.literal('cron'), cron: z.string(), timezone: z.string().nullable() }),
  ])
  .openapi('Schedule')

export const stepRecordSchema = z
  .object({
    name: z.string(),
    status: z.enum(['success', 'failed', 'timed_out', 'cancelled', 'not_run']).openapi({ description: '`not_run`: the run stopped before this step' }),
    exit_code: z.number().int().nullable(),
    signal: z.string().nullable(),
    started_at: timestamp.nullable(),
    duration_ms: z.number(),
    attempts: z.number().int().optional().openapi({ description: 'How many times the step was run (retries + 1 at most; 0 when not run). Absent in records of older versions.' }),
    error: z.string().optional().openapi({ description: 'Why the step could not start (e.g. command not found)' }),
  })
  .openapi('StepRecord')

export const runStatusSchema = z
  .enum(['running', 'success', 'failed', 'timed_out', 'cancelled', 'skipped', 'abandoned', 'missed'])
  .openapi({ description: '`missed`: a tick no worker could start within its starting deadline (cluster mode)' })

export const runRecordSchema = z
  .object({
    id: z.string(),
    instance_id: z.string(),
    trigger: z.enum(['schedule', 'manual']),
    status: runStatusSchema,
    reason: z.string().optional(),
    scheduled_at: timestamp.nullable(),
    started_at: timestamp,
    finished_at: timestamp.nullable(),
    duration_ms: z.number().nullable(),
    steps: z.array(stepRecordSchema),
  })
  .openapi('Run')

export const currentRunSchema = z
  .object({
    id: z.string(),
    trigger: z.enum(['schedule', 'manual']),
    started_at: timestamp,
    step: z.string().nullable(),
    index: z.number().int().openapi({ description: '1-based index of the step in progress' }),
    total: z.number().int(),
    step_started_at: timestamp.nullable(),
  })
  .openapi('CurrentRun')

export const lastRunSchema = z
  .object({
    id: z.string(),
    status: runStatusSchema,
    started_at: timestamp,
    finished_at: timestamp.nullable(),
    duration_ms: z.number().nullable(),
  })
  .openapi('LastRun')

export const statusSchema = z
  .object({
    is_running: z.boolean(),
    pid: z.number().int().nullable(),
    message: z.string(),
    paused: z.boolean().openapi({ description: 'Scheduled runs are skipped (recorded `skipped`, reason `paused`) until resumed' }),
    schedule: scheduleSchema.nullable(),
    started_at: timestamp.nullable(),
    next_run_at: timestamp.nullable(),
    next_runs: z.array(timestamp),
    current_run: currentRunSchema.nullable(),
    last_run: lastRunSchema.nullable(),
    worker: z
      .object({ host: z.string(), pid: z.number().int() })
      .nullable()
      .optional()
      .openapi({ description: 'Cluster mode: the worker (host and pid) running the current run; null when none runs' }),
  })
  .openapi('Status', {
    example: {
      is_running: true,
      pid: 12345,
      message: 'Daemon is running (PID: 12345)',
      paused: false,
      schedule: { type: 'interval', interval_seconds: 60 },
      started_at: '2025-12-26T10:30:45.123Z',
      next_run_at: '2025-12-26T10:31:45.123Z',
      next_runs: ['2025-12-26T10:31:45.123Z'],
      current_run: null,
      last_run: null,
    },
  })

export const pipelineSummarySchema = z
  .object({
    name: z.string(),
    steps: z.number().int().nullable().openapi({ description: 'Steps in the pipeline file; null when the file is not valid' }),
    error: z.string().nullable().openapi({ description: 'Why the pipeline file cannot be used, or null' }),
    is_running: z.boolean(),
    paused: z.boolean(),
    schedule: scheduleSchema.nullable(),
    next_run_at: timestamp.nullable(),
    current_run: currentRunSchema.nullable(),
    last_run: lastRunSchema.nullable(),
  })
  .openapi('PipelineSummary')

export const pipelinesSchema = z.object({ pipelines: z.array(pipelineSummarySchema) }).openapi('Pipelines')

export const logsSchema = z
  .object({ logs: z.string(), line_count: z.number().int() })
  .openapi('Logs', {
    example: {
      logs: '[2025-12-26 10:30:45] ========== Pipeline execution started ==========\n[2025-12-26 10:30:46] [1/5] Running exotel_api...\n',
      line_count: 2,
    },
  })

export const stopResultSchema = successSchema
  .extend({
    survivors: z.array(z.number().int()).openapi({ description: 'pids of the daemon tree found alive after the stop and then killed (expected: none)' }),
    forced: z.boolean().openapi({ description: 'true when the daemon did not exit in time and was killed' }),
  })
  .openapi('StopResult')

export const runNowResultSchema = successSchema.extend({ run_id: z.string().nullable() }).openapi('RunNowResult')

export const runsSchema = z.object({ runs: z.array(runRecordSchema) }).openapi('Runs')

/** The start body: exactly one of `interval_seconds` or `cron`; unknown keys are rejected. */
export function startBodySchema(minIntervalSeconds: number) {
  const rule = `must be an integer >= ${minIntervalSeconds}`
  return z
    .strictObject({
      interval_seconds: z
        .number({ error: rule })
        // Range before int: 1e30 is "too large", not "not an integer" (zod's int means safe integer).
        .min(minIntervalSeconds, { error: rule })
        .max(366 * 24 * 3600, { error: 'must be at most 31622400 (one year)' })
        .int({ error: rule })
        .optional()
        .openapi({ example: 60, description: `Seconds between runs (minimum ${minIntervalSeconds}).` }),
      cron: z
        .string({ error: 'expected a cron expression string' })
        .max(200, { error: 'must be at most 200 characters' })
        .optional()
        .openapi({ example: '*/5 * * * *', description: '5 fields, or 6 with seconds first (croner syntax).' }),
      timezone: z
        .string({ error: 'expected an IANA time zone name such as Europe/Berlin' })
        .max(64, { error: 'must be at most 64 characters' })
        .optional()
        .openapi({ example: 'Europe/Berlin', description: 'IANA time zone for `cron`; the server\'s own by default.' }),
      run_immediately: z
        .boolean({ error: 'expected true or false' })
        .optional()
        .openapi({ description: 'Interval schedules run once at start unless this is false.' }),
    })
    .superRefine((body, ctx) => {
      if (body.interval_seconds !== undefined && body.cron !== undefined) {
        ctx.addIssue({ code: 'custom', path: ['cron'], message: 'give either interval_seconds or cron, not both' })
      }
      if (body.cron !== undefined) {
        const problem = cronProblem(body.cron)
        if (problem) ctx.addIssue({ code: 'custom', path: ['cron'], message: `invalid cron expression (${problem})` })
      }
      if (body.timezone !== undefined) {
        if (body.cron === undefined) ctx.addIssue({ code: 'custom', path: ['timezone'], message: 'only allowed with cron' })
        else if (!isValidTimeZone(body.timezone)) ctx.addIssue({ code: 'custom', path: ['timezone'], message: `unknown time zone "${body.timezone}"` })
      }
    })
    .openapi('StartRequest', { example: { interval_seconds: 60 } })
}

export type StartBody = z.infer<ReturnType<typeof startBodySchema>>

export const stopBodySchema = z
  .strictObject({
    mode: z
      .enum(['cancel', 'drain'], { error: 'must be "cancel" or "drain"' })
      .optional()
      .openapi({ description: '"cancel" (default) ends the current run; "drain" lets it finish first.' }),
  })
  .openapi('StopRequest')

const integerParam = (name: string) =>
  z
    // `?lines=1&lines=2` arrives as an array.
    .string({ error: (iss) => (Array.isArray(iss.input) ? 'must be given once' : `must be an integer from 1 to ${MAX_LINES}`) })
    .regex(/^\d{1,6}$/, { error: `must be an integer from 1 to ${MAX_LINES}` })
    .transform(Number)
    .refine((n) => n >= 1 && n <= MAX_LINES, { error: `must be an integer from 1 to ${MAX_LINES}` })
    .openapi({ param: { name, in: 'query' }, type: 'integer', minimum: 1, maximum: MAX_LINES })

export const linesQuerySchema = z.object({ lines: integerParam('lines').optional() })
export const limitQuerySchema = z.object({ limit: integerParam('limit').optional() })

export type RunRecord = z.infer<typeof runRecordSchema>
export type StepRecord = z.infer<typeof stepRecordSchema>
export type RunStatus = z.infer<typeof runStatusSchema>
export type CurrentRun = z.infer<typeof currentRunSchema>
export type LastRun = z.infer<typeof lastRunSchema>
export type DaemonStatus = z.infer<typeof statusSchema>
export type PipelineSummary = z.infer<typeof pipelineSummarySchema>
