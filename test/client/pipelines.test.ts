/**
 * The typed client on a server of several pipelines: `pipelines()`, and `pipeline(name)` with
 * every method against `/api/pipelines/{name}/…`; the root client's pause and resume on the
 * default pipeline; names and run ids kept to one path segment.
 */
import { describe, expect, it } from 'vitest'
import type { LogEvent } from '../../src/client.js'
import { FIXTURES } from '../helpers/server.js'
import { rejection, serverForFile } from '../helpers/client-server.js'
import { waitFor } from '../helpers/wait.js'

const greet = (prefix: string) => ({ steps: [{ name: 'greet', run: [process.execPath, `${FIXTURES}/print-lines.mjs`, '2', '0', prefix] }] })

const live = serverForFile({ pipeline: greet('main'), pipelines: { alpha: greet('alpha'), beta: greet('beta') } })


describe('PipelineCronClient with several pipelines', () => {
  it('lists every pipeline by name with its steps, stopped - a fresh server', async () => {
    const { pipelines } = await live.client.pipelines()
    expect(pipelines.map((p) => [p.name, p.steps, p.is_running, p.paused])).toEqual([
      ['alpha', 1, false, false],
      ['beta', 1, false, false],
      ['default', 1, false, false],
    ])
  })

  it('runs every method against one named pipeline and leaves the others alone', async () => {
    const alpha = live.client.pipeline('alpha')
    expect(alpha.name).toBe('alpha')
    expect((await alpha.start(3600)).message).toMatch(/^Daemon started successfully with interval: 3600 seconds \(PID: \d+\)$/)
    const first = await waitFor(async () => (await alpha.runs()).runs.find((r) => r.status === 'success'), { timeoutMs: 20_000, what: 'alpha\'s first run' })
    expect(await alpha.getRun(first.id)).toMatchObject({ id: first.id, status: 'success', steps: [{ name: 'greet', attempts: 1 }] })
    expect(await alpha.status()).toMatchObject({ is_running: true, paused: false, last_run: { id: first.id } })
    expect(await live.client.status()).toMatchObject({ is_running: false })
    expect(await live.client.pipeline('beta').status()).toMatchObject({ is_running: false })

    // Its dead-man check passes: it runs and its last success is recent.
    expect(await alpha.health()).toMatchObject({ status: 'ok', last_success_at: expect.any(String) })
    // A stopped pipeline's fails with 503 and the reason.
    const dead = await rejection(live.client.pipeline('beta').health())
    expect(dead.status).toBe(503)
    expect(dead.detail).toMatch(/not running/i)

    expect((await alpha.getLogs()).logs).toContain('[stdout] alpha out 2')
    expect((await live.client.getLogs()).logs).not.toContain('alpha out')
    expect(await alpha.tailLogs(1)).toMatch(/^\[[\d-]+ [\d:]+\] .*\n$/)

    const follow = new AbortController()
    const events: LogEvent[] = []
    const reading = (async () => {
      for await (const e of alpha.followLogs({ lines: 1, signal: follow.signal })) events.push(e)
    })()
    try {
      // The history line comes once the subscription is live: nothing written after it is missed.
      await waitFor(() => events.length > 0, { what: 'the history line' })
      const manual = await alpha.runNow()
      expect(manual.run_id).toEqual(expect.any(String))
      await waitFor(() => events.some((e) => e.type === 'line' && e.line.includes(`Run ${manual.run_id}`)), { timeoutMs: 20_000, what: 'the manual run in the live log' })
    } finally {
      follow.abort()
      await reading
    }
    await waitFor(async () => (await alpha.status()).current_run === null, { timeoutMs: 20_000, what: 'the manual run to end' })

    expect(await alpha.pause()).toMatchObject({ success: true, message: 'Pipeline paused: scheduled runs are skipped until it is resumed' })
    expect((await alpha.status()).paused).toBe(true)
    expect((await live.client.pipelines()).pipelines.find((p) => p.name === 'alpha')).toMatchObject({ is_running: true, paused: true })
    const twice = await rejection(alpha.pause())
    expect([twice.status, twice.detail]).toEqual([409, 'The pipeline is already paused'])
    expect((await alpha.resume()).message).toBe('Pipeline resumed')
    const notPaused = await rejection(alpha.resume())
    expect([notPaused.status, notPaused.detail]).toEqual([409, 'The pipeline is not paused'])
    const betaNotRunning = await rejection(live.client.pipeline('beta').pause())
    expect([betaNotRunning.status, betaNotRunning.detail]).toEqual([409, 'Daemon is not running'])

    expect(await alpha.stop({ drain: true })).toMatchObject({ message: 'Daemon stopped successfully', survivors: [] })
    expect((await alpha.clearLogs()).message).toBe('Logs cleared successfully')
    expect((await alpha.getLogs()).logs).not.toContain('alpha out')
    expect((await live.client.pipeline('beta').runs()).runs).toEqual([])
  }, 90_000)

  it('pauses and resumes the default pipeline from the root client', async () => {
    await live.client.start({ interval_seconds: 3600, run_immediately: false })
    try {
      expect((await live.client.pause()).message).toBe('Pipeline paused: scheduled runs are skipped until it is resumed')
      expect(await live.client.status()).toMatchObject({ is_running: true, paused: true })
      expect(await live.client.pipeline('default').status()).toMatchObject({ paused: true })
      expect((await live.client.resume()).message).toBe('Pipeline resumed')
      expect((await live.client.status()).paused).toBe(false)
    } finally {
      await live.client.stop()
    }
    const stopped = await rejection(live.client.pause())
    expect([stopped.status, stopped.detail]).toEqual([409, 'Daemon is not running'])
  }, 60_000)

  it('throws 404 naming the pipeline - an unknown name', async () => {
    const err = await rejection(live.client.pipeline('nope').status())
    expect([err.status, err.detail]).toEqual([404, 'Pipeline not found: nope (see GET /api/pipelines)'])
  })

  it('keeps a name with "/", "?" or "#" one path segment (URL-encoded) - 404 for that name, not another route', async () => {
    for (const name of ['alpha/stop', 'a?b', 'a#b']) {
      const err = await rejection(live.client.pipeline(name).status())
      expect([err.status, err.detail]).toEqual([404, `Pipeline not found: ${name} (see GET /api/pipelines)`])
    }
    expect((await live.client.pipeline('alpha').status()).is_running).toBe(false)
    const run = await rejection(live.client.pipeline('alpha').getRun('x/../../y'))
    expect([run.status, run.detail]).toEqual([404, 'Run not found: x/../../y'])
  })

  it('throws a TypeError - "", "." or "..", which URL parsing would resolve to another route', () => {
    for (const name of ['', '.', '..']) expect(() => live.client.pipeline(name)).toThrow(new TypeError(`"${name}" is not a pipeline name`))
  })
})
