/** The API's errors in CLI terms: flags instead of JSON fields, --token instead of a header, what to do when stop cannot reach the server. */
import { describe, expect, it } from 'vitest'
import { inCliTerms, inFlagTerms } from '../../adapters/node/cli/messages.js'
import { PipelineCronError } from '../../src/client.js'

const say = (status: number, detail: string, context: Partial<Parameters<typeof inCliTerms>[1]> = {}) =>
  inCliTerms(new PipelineCronError(status, detail), { command: 'status', ...context })

describe('inFlagTerms', () => {
  it.each([
    ['interval_seconds: must be an integer >= 10', "--every: must be at least 10s (the server's minimum)"],
    ['interval_seconds: must be an integer >= 60', "--every: must be at least 1m (the server's minimum)"],
    ['interval_seconds: must be at most 31622400 (one year)', "--every: must be at most 366d (the server's maximum)"],
    ['cron: invalid cron expression (expected 5 fields, or 6 with seconds first; got 3)', '--cron: invalid cron expression (expected 5 fields, or 6 with seconds first; got 3)'],
    ['cron: give either interval_seconds or cron, not both', '--cron: give either --every or --cron, not both'],
    ['timezone: unknown time zone "Mars/Base"', '--tz: unknown time zone "Mars/Base"'],
    ['timezone: only allowed with cron', '--tz: only allowed with --cron'],
    ['lines: must be an integer from 1 to 100000', '--lines: must be an integer from 1 to 100000'],
    ['limit: must be an integer from 1 to 100000', '--limit: must be an integer from 1 to 100000'],
  ])('names the flag, not the field - %s', (detail, text) => {
    expect(inFlagTerms(detail)).toBe(text)
  })

  it('leaves a detail that names no field a flag sets as it is', () => {
    expect(inFlagTerms('body: invalid JSON')).toBe('body: invalid JSON')
  })
})

describe('inCliTerms', () => {
  it('says to pass --token or set CRON_API_TOKEN, not to send a header - a 401 without a token', () => {
    expect(say(401, 'Authentication required: send Authorization: Bearer <token>')).toBe('the server needs a token: pass --token TOKEN or set CRON_API_TOKEN')
  })

  it('says the token was refused and where it came from - a 401 with a token', () => {
    expect(say(401, 'Invalid token', { token: 'x' })).toBe('the server refused the token (Invalid token): check --token or CRON_API_TOKEN')
  })

  it('says the command needs the full token - a 403 for the read-only token', () => {
    expect(say(403, 'The read-only token may only use GET routes', { command: 'stop', token: 'r' })).toBe(
      "the token is read-only: stop needs the server's full token (--token or CRON_API_TOKEN)",
    )
  })

  it('points to --name and list - several pipelines and no default', () => {
    expect(say(404, 'No default pipeline: this server runs several; use /api/pipelines/{name}/… (see GET /api/pipelines), or start it with --default-pipeline NAME')).toBe(
      'this server runs several pipelines and none is the default: pass --name NAME (or set PIPELINE_CRON_NAME); pipeline-cron list shows them',
    )
  })

  it('names the pipeline and points to list - an unknown --name', () => {
    expect(say(404, 'Pipeline not found: nope (see GET /api/pipelines)', { name: 'nope' })).toBe('no pipeline named "nope" on this server; pipeline-cron list shows them')
  })

  it('says the daemon may still run and how to stop it - stop with the server unreachable', () => {
    const text = say(0, 'cannot reach http://127.0.0.1:8000 (ECONNREFUSED)', { command: 'stop', name: 'orders' })
    expect(text).toMatch(/^cannot reach http:\/\/127\.0\.0\.1:8000 \(ECONNREFUSED\), so nothing was stopped\. The daemon outlives its server and may still be running: /)
    expect(text).toContain('pipeline-cron serve --state-dir DIR) and run pipeline-cron stop --name orders again')
    expect(text).toContain("pgrep -af -- '--instance=.* --state-dir='")
  })

  it('asks whether the server runs - any other command with the server unreachable', () => {
    expect(say(0, 'cannot reach http://127.0.0.1:8000 (ECONNREFUSED)')).toBe('cannot reach http://127.0.0.1:8000 (ECONNREFUSED); is the server running? (--url / PIPELINE_CRON_URL)')
  })
})
