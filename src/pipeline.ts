import { z } from 'zod'
import { ConfigError } from './errors.js'
import { RESERVED_ENV_PREFIX } from './env-names.js'

/** One step of the pipeline file (README "The pipeline file"). */
export interface PipelineStep {
  name: string
  /** A string runs through `/bin/sh -c`; an array is executed directly. */
  run: string | string[]
  /** Relative to the pipeline file's folder. */
  cwd?: string
  env?: Record<string, string>
  timeout_seconds?: number
  continue_on_error?: boolean
  /** A failed or timed-out attempt is tried again, up to this many times. */
  retries?: number
  /** The wait before the first retry; it doubles after each failed attempt, up to 300 s. */
  retry_delay_seconds?: number
}

/** Where a pipeline's events are POSTed. */
export interface NotifyTarget {
  url: string
  on: NotifyEvent[]
  /** The environment variable (of the daemon) holding the HMAC-SHA256 secret. */
  secret_env?: string
}

export type NotifyEvent = 'failure' | 'success' | 'recovery' | 'skipped'

export interface Pipeline {
  name: string
  steps: PipelineStep[]
  /** The whole run's limit: past it the running step's tree is ended and the run is `timed_out`. */
  timeout_seconds?: number
  notify?: NotifyTarget[]
  /** Cluster mode: a tick no worker could start this long after its time is recorded `missed`. */
  starting_deadline_seconds?: number
}

const stepSchema = z.strictObject({
  name: z
    .string({ error: 'expected a string' })
    .min(1, { error: 'must not be empty' })
    .max(200, { error: 'must be at most 200 characters' })
    .regex(/^[^\r\n]+$/, { error: 'must be a single line' }),
  run: z.union(
    [
      z.string().min(1, { error: 'must not be empty' }),
      z.array(z.string(), { error: 'expected a string or an array of strings' }).min(1),
    ],
    { error: 'expected a string or an array of strings' },
  ),
  cwd: z.string({ error: 'expected a string' }).min(1, { error: 'must not be empty' }).optional(),
  env: z.record(z.string(), z.string({ error: 'expected a string value' }), { error: 'expected an object of strings' }).optional(),
  timeout_seconds: z
    .number({ error: 'expected a number of seconds' })
    .positive({ error: 'must be > 0' })
    .max(7 * 24 * 3600, { error: 'must be at most 604800 (one week)' })
    .optional(),
  continue_on_error: z.boolean({ error: 'expected true or false' }).optional(),
  retries: z.number({ error: 'expected an integer from 0 to 10' }).int({ error: 'expected an integer from 0 to 10' }).min(0, { error: 'expected an integer from 0 to 10' }).max(10, { error: 'expected an integer from 0 to 10' }).optional(),
  retry_delay_seconds: z
    .number({ error: 'expected a number of seconds' })
    .positive({ error: 'must be > 0' })
    .max(300, { error: 'must be at most 300' })
    .optional(),
})

const notifySchema = z.strictObject({
  url: z
    .string({ error: 'expected a URL string' })
    .max(2000, { error: 'must be at most 2000 characters' })
    .refine((u) => /^https?:\/\/[^\s/]+/i.test(u) && URL.canParse(u), { error: 'expected an http:// or https:// URL' }),
  on: z
    .array(z.enum(['failure', 'success', 'recovery', 'skipped'], { error: 'expected "failure", "success", "recovery" or "skipped"' }), { error: 'expected an array of events' })
    .min(1, { error: 'must name at least one event' }),
  secret_env: z
    .string({ error: 'expected the name of an environment variable' })
    .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: 'expected the name of an environment variable' })
    .optional(),
})

export const pipelineSchema = z
  .strictObject({
    name: z.string({ error: 'expected a string' }).min(1, { error: 'must not be empty' }).optional(),
    steps: z.array(stepSchema, { error: 'expected an array of steps' }).min(1, { error: 'must have at least one step' }),
    timeout_seconds: z
      .number({ error: 'expected a number of seconds' })
      .positive({ error: 'must be > 0' })
      .max(7 * 24 * 3600, { error: 'must be at most 604800 (one week)' })
      .optional(),
    notify: z.array(notifySchema, { error: 'expected an array of webhooks' }).max(20, { error: 'at most 20 webhooks' }).optional(),
    starting_deadline_seconds: z
      .number({ error: 'expected a number of seconds' })
      .positive({ error: 'must be > 0' })
      .max(7 * 24 * 3600, { error: 'must be at most 604800 (one week)' })
      .optional(),
  })
  .superRefine((p, ctx) => {
    const seen = new Set<string>()
    p.steps.forEach((s, i) => {
      if (seen.has(s.name)) ctx.addIssue({ code: 'custom', path: ['steps', i, 'name'], message: `duplicate step name "${s.name}"` })
      seen.add(s.name)
      // The instance marker is how stop finds a step's escaped children: a step may not replace it.
      for (const key of Object.keys(s.env ?? {})) {
        if (key.startsWith(RESERVED_ENV_PREFIX)) ctx.addIssue({ code: 'custom', path: ['steps', i, 'env', key], message: 'reserved: set by the daemon' })
      }
    })
  })

/**
 * Parses and validates a pipeline file's text. Throws a ConfigError whose message is one line:
 * `pipeline.json: steps[1].run: expected a string or an array of strings`.
 */
export function parsePipeline(text: string, fileLabel: string): Pipeline {
  let raw: unknown
  try {
    raw = JSON.parse(text)
  } catch (err) {
    throw new ConfigError(`${fileLabel}: invalid JSON (${(err as Error).message})`)
  }
  const result = pipelineSchema.safeParse(raw)
  if (!result.success) {
    const issue = result.error.issues[0]!
    throw new ConfigError(`${fileLabel}: ${formatIssue(issue)}`)
  }
  const { name, ...rest } = result.data
  return { name: name ?? 'pipeline', ...rest }
}

/** `steps[1].run: expected ...`, or `key "x": not allowed` for unknown keys. */
export function formatIssue(issue: z.core.$ZodIssue, root = ''): string {
  const path = formatPath(issue.path)
  const where = path || root
  if (issue.code === 'unrecognized_keys') {
    const keys = issue.keys.map((k) => `"${k}"`).join(', ')
    return `${where ? `${where}: ` : ''}unknown key${issue.keys.length > 1 ? 's' : ''} ${keys}`
  }
  return where ? `${where}: ${issue.message}` : issue.message
}

export function formatPath(path: readonly PropertyKey[]): string {
  let out = ''
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`
    else out += out ? `.${String(part)}` : String(part)
  }
  return out
}
