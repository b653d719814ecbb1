/** Pipeline file validation: one line naming the file, the JSON path and the rule. */
import { describe, expect, it } from 'vitest'
import { ConfigError } from '../../src/errors.js'
import { formatPath, parsePipeline } from '../../src/pipeline.js'

const parse = (value: unknown) => parsePipeline(typeof value === 'string' ? value : JSON.stringify(value), 'pipeline.json')
const ok = (extra: object = {}) => ({ name: 'a', run: 'x', ...extra })

function problem(value: unknown): string {
  try {
    parse(value)
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError)
    return (err as Error).message
  }
  throw new Error('expected the pipeline to be rejected')
}

describe('parsePipeline: valid files', () => {
  it("keeps every field - the README's example", () => {
    const spec = {
      name: 'data-generation',
      steps: [
        { name: 'exotel_api', run: 'python3 exotel_api.py', timeout_seconds: 900 },
        { name: 'transform', run: ['node', 'transform.js'], cwd: 'scripts', env: { BATCH: '500' }, continue_on_error: false },
      ],
    }
    expect(parse(spec)).toEqual(spec)
  })

  it('keeps the operator fields - retries, retry delay, run deadline, webhooks', () => {
    const file = {
      name: 'ops',
      timeout_seconds: 3600,
      steps: [ok({ retries: 3, retry_delay_seconds: 2.5 })],
      notify: [{ url: 'https://hooks.example.com/p', on: ['failure', 'recovery'], secret_env: 'HOOK_SECRET' }],
    }
    expect(parse(file)).toEqual(file)
  })

  it('names the pipeline "pipeline" - no name given', () => {
    expect(parse({ steps: [ok()] }).name).toBe('pipeline')
  })

  it('accepts fractional timeouts - timeout_seconds 0.05', () => {
    expect(parse({ steps: [ok({ timeout_seconds: 0.05 })] }).steps[0]!.timeout_seconds).toBe(0.05)
  })
})

describe('parsePipeline: invalid files', () => {
  it.each([
    ['a run that is a number', { steps: [ok(), { name: 'b', run: 5 }] }, 'pipeline.json: steps[1].run: expected a string or an array of strings'],
    ['a run array with a number', { steps: [ok({ run: ['node', 1] })] }, 'pipeline.json: steps[0].run: expected a string or an array of strings'],
    ['an empty run array', { steps: [ok({ run: [] })] }, 'pipeline.json: steps[0].run: expected a string or an array of strings'],
    ['an empty run string', { steps: [ok({ run: '' })] }, 'pipeline.json: steps[0].run: must not be empty'],
    ['no steps key', {}, 'pipeline.json: steps: expected an array of steps'],
    ['steps not an array', { steps: {} }, 'pipeline.json: steps: expected an array of steps'],
    ['no steps at all', { steps: [] }, 'pipeline.json: steps: must have at least one step'],
    ['a step without a name', { steps: [{ run: 'x' }] }, 'pipeline.json: steps[0].name: expected a string'],
    ['an empty step name', { steps: [ok({ name: '' })] }, 'pipeline.json: steps[0].name: must not be empty'],
    ['a step name with a newline', { steps: [ok({ name: 'a\nb' })] }, 'pipeline.json: steps[0].name: must be a single line'],
    ['duplicate step names', { steps: [ok(), ok({ run: 'y' })] }, 'pipeline.json: steps[1].name: duplicate step name "a"'],
    ['an unknown step key (typo of timeout_seconds)', { steps: [ok({ timeout: 5 })] }, 'pipeline.json: steps[0]: unknown key "timeout"'],
    ['an unknown top-level key', { steps: [ok()], schedule: '* * * * *' }, 'pipeline.json: unknown key "schedule"'],
    ['a zero timeout', { steps: [ok({ timeout_seconds: 0 })] }, 'pipeline.json: steps[0].timeout_seconds: must be > 0'],
    ['a timeout as a string', { steps: [ok({ timeout_seconds: '5' })] }, 'pipeline.json: steps[0].timeout_seconds: expected a number of seconds'],
    ['a timeout over a week', { steps: [ok({ timeout_seconds: 1e9 })] }, 'pipeline.json: steps[0].timeout_seconds: must be at most 604800 (one week)'],
    ['an env value that is a number', { steps: [ok({ env: { BATCH: 500 } })] }, 'pipeline.json: steps[0].env.BATCH: expected a string value'],
    ['env as an array', { steps: [ok({ env: [] })] }, 'pipeline.json: steps[0].env: expected an object of strings'],
    ['an env that sets the instance marker', { steps: [ok({ env: { PIPELINE_CRON_INSTANCE: 'x' } })] }, 'pipeline.json: steps[0].env.PIPELINE_CRON_INSTANCE: reserved: set by the daemon'],
    ['an env that sets the run id, in step 2', { steps: [ok(), ok({ name: 'b', env: { OK: '1', PIPELINE_CRON_RUN_ID: 'x' } })] }, 'pipeline.json: steps[1].env.PIPELINE_CRON_RUN_ID: reserved: set by the daemon'],
    ['continue_on_error as a string', { steps: [ok({ continue_on_error: 'yes' })] }, 'pipeline.json: steps[0].continue_on_error: expected true or false'],
    ['an empty cwd', { steps: [ok({ cwd: '' })] }, 'pipeline.json: steps[0].cwd: must not be empty'],
    ['a name that is not a string', { name: 5, steps: [ok()] }, 'pipeline.json: name: expected a string'],
    ['retries over 10', { steps: [ok({ retries: 11 })] }, 'pipeline.json: steps[0].retries: expected an integer from 0 to 10'],
    ['fractional retries', { steps: [ok({ retries: 1.5 })] }, 'pipeline.json: steps[0].retries: expected an integer from 0 to 10'],
    ['a zero retry delay', { steps: [ok({ retry_delay_seconds: 0 })] }, 'pipeline.json: steps[0].retry_delay_seconds: must be > 0'],
    ['a retry delay over 300 s', { steps: [ok({ retry_delay_seconds: 301 })] }, 'pipeline.json: steps[0].retry_delay_seconds: must be at most 300'],
    ['a negative run deadline', { timeout_seconds: -1, steps: [ok()] }, 'pipeline.json: timeout_seconds: must be > 0'],
    ['a webhook URL that is not http(s)', { steps: [ok()], notify: [{ url: 'ftp://x/y', on: ['failure'] }] }, 'pipeline.json: notify[0].url: expected an http:// or https:// URL'],
    ['an unknown webhook event', { steps: [ok()], notify: [{ url: 'https://h/x', on: ['done'] }] }, 'pipeline.json: notify[0].on[0]: expected "failure", "success", "recovery" or "skipped"'],
    ['a webhook with no event', { steps: [ok()], notify: [{ url: 'https://h/x', on: [] }] }, 'pipeline.json: notify[0].on: must name at least one event'],
    ['a secret_env that is not a variable name', { steps: [ok()], notify: [{ url: 'https://h/x', on: ['failure'], secret_env: 'my secret' }] }, 'pipeline.json: notify[0].secret_env: expected the name of an environment variable'],
    ['an unknown webhook key', { steps: [ok()], notify: [{ url: 'https://h/x', on: ['failure'], secret: 'plain' }] }, 'pipeline.json: notify[0]: unknown key "secret"'],
  ])('names the path and the rule - %s', (_name, value, message) => {
    expect(problem(value)).toBe(message)
  })

  it('names the file and the parser error - invalid JSON', () => {
    expect(problem('{"steps": [')).toMatch(/^pipeline\.json: invalid JSON \(.+\)$/)
  })

  it('says an object was expected - a JSON array file', () => {
    expect(problem('[]')).toMatch(/^pipeline\.json: .*expected object, received array$/)
  })

  it('is one line - every message', () => {
    expect(problem({ steps: [ok({ name: 'a\nb' })] })).not.toContain('\n')
  })

  it('uses the label given - a nested path', () => {
    expect(() => parsePipeline('{}', 'config/pipelines/nightly.json')).toThrow('config/pipelines/nightly.json: steps: expected an array of steps')
  })
})

describe('formatPath', () => {
  it('writes indexes in brackets and keys with dots', () => {
    expect(formatPath(['steps', 1, 'run'])).toBe('steps[1].run')
    expect(formatPath(['steps', 0, 'env', 'A'])).toBe('steps[0].env.A')
    expect(formatPath([])).toBe('')
  })
})
