/**
 * The original Python client (seed_client.py, verbatim from the original design) against the real
 * server: driver.py calls every method and prints the results as JSON; this file checks them.
 */
import { execFile, execFileSync } from 'node:child_process'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { startServer } from '../helpers/server.js'
import { fixture, ISO_MS, LOG_LINE, systemDep } from '../conformance/support.js'

/** Debian's interpreter if it has requests (CI installs python3-requests), else python3 on PATH. */
function findPython(): string | null {
  for (const candidate of ['/usr/bin/python3', 'python3']) {
    try {
      execFileSync(candidate, ['-c', 'import requests'], { stdio: 'ignore', timeout: 10_000 })
      return candidate
    } catch {
      // not there, or no requests
    }
  }
  return null
}

const PYTHON = findPython()
const dep = systemDep('python3 with requests', PYTHON !== null, 'apt-get install python3-requests')

function runDriver(baseUrl: string): Promise<any> {
  return new Promise((resolve, reject) => {
    execFile(PYTHON!, [join(import.meta.dirname, 'driver.py'), baseUrl], { timeout: 40_000, env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' } }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`driver.py failed: ${err.message}\n${stderr}`))
      resolve(JSON.parse(stdout))
    })
  })
}

describe.skipIf(dep.skip)("the original Python client", () => {
  // One driver run (one server, one daemon) feeds every check below.
  let r: any
  beforeAll(async () => {
    dep.assert()
    const server = await startServer({
      pipeline: { name: 'py', steps: [{ name: 'exotel_api', run: fixture('print-lines.mjs', '60', '2', 'py') }] },
    })
    try {
      r = await runDriver(server.url)
    } finally {
      await server.cleanup()
    }
  })

  it('returns the original body - health()', () => {
    expect(r.health).toEqual({ status: 'healthy', timestamp: expect.stringMatching(ISO_MS) })
  })

  it('returns the original fields before and after start and stop - status()', () => {
    expect(r.status_before).toMatchObject({ is_running: false, pid: null })
    const pid = Number(/\(PID: (\d+)\)$/.exec(r.start.message)?.[1])
    expect(r.status_running).toMatchObject({ is_running: true, pid, message: `Daemon is running (PID: ${pid})` })
    expect(r.status_stopped).toMatchObject({ is_running: false, pid: null })
  })

  it('starts with the original message - start(interval_seconds=60)', () => {
    expect(r.start).toEqual({
      success: true,
      message: expect.stringMatching(/^Daemon started successfully with interval: 60 seconds \(PID: \d+\)$/),
      timestamp: expect.stringMatching(ISO_MS),
    })
  })

  it('raises HTTPError with the error body - start while running, start below the minimum, stop while stopped', () => {
    expect(r.start_again).toMatchObject({ status: 409, body: { error: true, detail: expect.any(String) } })
    expect(r.start_too_short).toMatchObject({ status: 400, body: { error: true, detail: expect.stringContaining('interval_seconds') } })
    expect(r.stop_while_stopped).toMatchObject({ status: 409, body: { error: true, detail: expect.any(String) } })
  })

  it('returns logs and line_count, all or the last N - get_logs()', () => {
    expect(r.get_logs.logs).toContain('========== Pipeline execution started ==========')
    expect(r.get_logs.logs).toContain('py out 60')
    expect(r.get_logs.line_count).toBe(r.get_logs.logs.trimEnd().split('\n').length)
    expect(r.get_logs_5.line_count).toBe(5)
    expect(r.get_logs.logs.endsWith(r.get_logs_5.logs)).toBe(true)
  })

  it('returns the last 50 lines as text, or N - tail_logs()', () => {
    const tail = (r.tail_logs_default as string).trimEnd().split('\n')
    expect(tail).toHaveLength(50)
    for (const l of tail) expect(l).toMatch(LOG_LINE)
    expect((r.tail_logs_3 as string).trimEnd().split('\n')).toEqual(tail.slice(-3))
  })

  it('stops with the original message - stop()', () => {
    expect(r.stop).toMatchObject({ success: true, message: 'Daemon stopped successfully', timestamp: expect.stringMatching(ISO_MS) })
  })

  it('clears with the original message, leaving no run lines - clear_logs()', () => {
    expect(r.clear_logs).toEqual({ success: true, message: 'Logs cleared successfully', timestamp: expect.stringMatching(ISO_MS) })
    expect(r.get_logs_after_clear.logs).not.toContain('Pipeline execution')
  })
})
