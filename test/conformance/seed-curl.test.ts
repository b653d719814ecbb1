/**
 * The seed document's curl examples, run as written (only `localhost:8000` becomes the test
 * server's address) through /bin/sh, with the documented results checked. The status code
 * comes from a .curlrc in a temp CURL_HOME, so the commands themselves stay untouched.
 */
import { execFile } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startServer, type TestServer } from '../helpers/server.js'
import { call, fixture, ISO_MS, LOG_LINE, systemDep, waitForFinishedRuns } from './support.js'

// Copied verbatim from seed/pipeline-cron-manager-api.md (the cURL blocks, in document order).
const SEED = {
  start60: `curl -X POST "http://localhost:8000/api/cron/start" \\
  -H "Content-Type: application/json" \\
  -d '{"interval_seconds": 60}'`,
  stop: `curl -X POST "http://localhost:8000/api/cron/stop"`,
  status: `curl "http://localhost:8000/api/cron/status"`,
  logs: `curl "http://localhost:8000/api/cron/logs"`,
  logs20: `curl "http://localhost:8000/api/cron/logs?lines=20"`,
  tail: `curl "http://localhost:8000/api/cron/logs/tail"`,
  tail100: `curl "http://localhost:8000/api/cron/logs/tail?lines=100"`,
  clear: `curl -X DELETE "http://localhost:8000/api/cron/logs"`,
  health: `curl "http://localhost:8000/health"`,
  start300: `curl -X POST "http://localhost:8000/api/cron/start" \\
  -H "Content-Type: application/json" \\
  -d '{"interval_seconds": 300}'`,
  tail50: `curl "http://localhost:8000/api/cron/logs/tail?lines=50"`,
}

const CURL = '/usr/bin/curl'
const dep = systemDep('curl', existsSync(CURL), 'apt-get install curl')
const MARK = '@@curl-status@@'

let server: TestServer
let curlHome: string

interface CurlResult {
  status: number
  type: string
  text: string
  json: any
}

/** Runs one seed command through /bin/sh against the test server. */
function curl(command: string): Promise<CurlResult> {
  const host = new URL(server.url).host
  const line = command.replaceAll('localhost:8000', host)
  // Every seed command is a curl call to the server: never run anything else by mistake.
  expect(line).toMatch(new RegExp(`^curl (-X [A-Z]+ )?"http://${host.replaceAll('.', '\\.')}/`))
  const env = { ...process.env, PATH: `/usr/bin:${process.env.PATH ?? ''}`, CURL_HOME: curlHome, HOME: curlHome, XDG_CONFIG_HOME: curlHome }
  return new Promise((resolve, reject) => {
    execFile('/bin/sh', ['-c', line], { env, timeout: 20_000 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`${line}\nfailed: ${err.message}\n${stderr}`))
      const at = stdout.lastIndexOf(`\n${MARK} `)
      if (at < 0) return reject(new Error(`no status line from curl (is .curlrc read?): ${stdout}`))
      const [code, type = ''] = stdout.slice(at + MARK.length + 2).trim().split(' ')
      const text = stdout.slice(0, at)
      let json: unknown
      try {
        json = JSON.parse(text)
      } catch {
        json = undefined
      }
      resolve({ status: Number(code), type, text, json })
    })
  })
}

describe.skipIf(dep.skip)("the original curl examples", () => {
  beforeAll(async () => {
    dep.assert()
    curlHome = mkdtempSync(join(tmpdir(), 'pc-curl-'))
    writeFileSync(join(curlHome, '.curlrc'), `silent\nshow-error\nwrite-out = "\\n${MARK} %{http_code} %{content_type}"\n`)
    server = await startServer({
      pipeline: { name: 'seed', steps: [{ name: 'exotel_api', run: fixture('print-lines.mjs', '60', '1', 'exotel') }, { name: 'transform', run: fixture('exit-with.mjs', '0') }] },
    })
  })
  afterAll(async () => {
    await server?.cleanup()
    if (curlHome) rmSync(curlHome, { recursive: true, force: true })
  })

  // One walk through the original scenarios, in order: each step depends on the one before.
  it('answers healthy - GET /health', async () => {
    const r = await curl(SEED.health)
    expect(r.status).toBe(200)
    expect(r.json).toEqual({ status: 'healthy', timestamp: expect.stringMatching(ISO_MS) })
  })

  it('reports not running with pid null - status before start', async () => {
    const r = await curl(SEED.status)
    expect(r.status).toBe(200)
    expect(r.json).toMatchObject({ is_running: false, pid: null, message: expect.any(String) })
  })

  it('starts with the documented message - Scenario 1 start', async () => {
    const r = await curl(SEED.start60)
    expect(r.status, r.text).toBe(200)
    expect(r.json).toEqual({
      success: true,
      message: expect.stringMatching(/^Daemon started successfully with interval: 60 seconds \(PID: \d+\)$/),
      timestamp: expect.stringMatching(ISO_MS),
    })
  })

  it('reports the running daemon - Scenario 3 status', async () => {
    const r = await curl(SEED.status)
    expect(r.json).toMatchObject({ is_running: true, pid: expect.any(Number) })
    expect(r.json.message).toBe(`Daemon is running (PID: ${r.json.pid})`)
  })

  it('returns logs with line_count, and at most 20 lines with ?lines=20 - logs', async () => {
    await waitForFinishedRuns(server, 1)
    const all = await curl(SEED.logs)
    expect(all.status).toBe(200)
    expect(all.json.logs).toContain('========== Pipeline execution started ==========')
    expect(all.json.logs).toMatch(/\[1\/2\] Running exotel_api\.\.\./)
    expect(all.json.line_count).toBe(all.json.logs.trimEnd().split('\n').length)
    const last20 = await curl(SEED.logs20)
    expect(last20.json.line_count).toBe(20)
    expect(all.json.logs.endsWith(last20.json.logs)).toBe(true)
  })

  it('returns plain text, 50 lines by default, 100 and 50 when asked - tail', async () => {
    const lines = (r: CurlResult) => r.text.trimEnd().split('\n')
    const def = await curl(SEED.tail)
    expect(def.status).toBe(200)
    expect(def.type).toMatch(/^text\/plain/)
    expect(lines(def)).toHaveLength(50)
    for (const l of lines(def)) expect(l).toMatch(LOG_LINE)
    const fifty = await curl(SEED.tail50)
    expect(fifty.text).toBe(def.text)
    const hundred = await curl(SEED.tail100)
    const total = (await call(server.url, 'GET', '/api/cron/logs')).body.line_count as number
    expect(lines(hundred)).toHaveLength(Math.min(100, total))
  })

  it('returns 409 with the error body - Scenario 2 start while running', async () => {
    const r = await curl(SEED.start300)
    expect(r.status).toBe(409)
    expect(r.json).toEqual({ error: true, detail: expect.any(String), timestamp: expect.stringMatching(ISO_MS) })
  })

  it('stops, then clears the logs - Scenario 4', async () => {
    const stop = await curl(SEED.stop)
    expect(stop.status, stop.text).toBe(200)
    expect(stop.json).toMatchObject({ success: true, message: 'Daemon stopped successfully', timestamp: expect.stringMatching(ISO_MS) })
    const clear = await curl(SEED.clear)
    expect(clear.status).toBe(200)
    expect(clear.json).toEqual({ success: true, message: 'Logs cleared successfully', timestamp: expect.stringMatching(ISO_MS) })
    const logs = await curl(SEED.logs)
    expect(logs.json.logs).not.toContain('Pipeline execution')
    expect((await curl(SEED.status)).json).toMatchObject({ is_running: false, pid: null })
  })

  it('starts with the 300 s interval, and stop answers 409 once stopped - Scenario 2 after a stop', async () => {
    const r = await curl(SEED.start300)
    expect(r.status, r.text).toBe(200)
    expect(r.json.message).toMatch(/^Daemon started successfully with interval: 300 seconds \(PID: \d+\)$/)
    expect((await curl(SEED.stop)).status).toBe(200)
    const again = await curl(SEED.stop)
    expect(again.status).toBe(409)
    expect(again.json).toMatchObject({ error: true })
  })
})
