/**
 * Over a real server: GET /api/cron/logs/stream sends the last N lines, then each
 * new line the daemon writes; it survives a clear and rotation, and a dropped client leaves
 * nothing behind (file descriptors of the server process back to where they were).
 */
import { describe, expect, it } from 'vitest'
import { call, fixture, logText, serverForTest, startDaemon, waitFor, waitForFinished, waitForLog, type Ctx, type TestServer } from '../helpers/real-server.js'
import { fdCount, linesOf, localFixture, SseClient } from './support.js'

const FINISHED = /Pipeline execution finished: \w+/
const printer = { name: 'printer', steps: [{ name: 'print', run: fixture('print-lines.mjs', '5', '1', 'p') }] }

/** A server whose daemon has finished its first run (interval 3600 s: the log is then quiet). */
async function quietServer(ctx: Ctx, o: { args?: string[] } = {}): Promise<TestServer> {
  const server = await serverForTest({ pipeline: printer, ...o }, ctx)
  await startDaemon(server, { interval_seconds: 3600 })
  await waitForLog(server, FINISHED)
  return server
}

async function openStream(server: TestServer, query = ''): Promise<SseClient> {
  const client = await SseClient.open(`${server.url}/api/cron/logs/stream${query}`)
  return client
}

/** Runs now and waits until the stream has seen that run's "finished" line. */
async function runAndSee(server: TestServer, client: SseClient): Promise<string> {
  const res = await call(server.url, 'POST', '/api/cron/run')
  expect(res.status, res.text).toBe(200)
  const id = res.body.run_id as string
  await waitForFinished(server, id)
  await client.waitFor((c) => {
    const lines = c.lines()
    const at = lines.findIndex((l) => l.endsWith(`Run ${id} (trigger: manual)`))
    return at !== -1 && lines.slice(at).some((l) => FINISHED.test(l))
  }, `the stream to show run ${id} finished`)
  return id
}

describe.concurrent('live log stream (real server)', () => {
  it('sends a connected comment and the last N lines, then each new line as the daemon writes it - ?lines=3', async (ctx) => {
    const server = await quietServer(ctx)
    const before = linesOf(logText(server))
    const client = await openStream(server, '?lines=3')
    try {
      await client.waitFor((c) => c.lines().length >= 3, 'the last 3 lines')
      expect(client.items[0]).toEqual({ kind: 'comment', text: 'connected' })
      expect(client.lines()).toEqual(before.slice(-3))

      await runAndSee(server, client)
      // Everything the stream sent is exactly the end of the file, in order, once.
      const file = linesOf(logText(server))
      const seen = client.lines()
      expect(seen).toEqual(file.slice(-seen.length))
      expect(file.length - seen.length).toBe(before.length - 3)
    } finally {
      await client.close()
    }
  })

  it('sends event: clear on DELETE /api/cron/logs, then the lines written after it', async (ctx) => {
    const server = await quietServer(ctx)
    const client = await openStream(server, '?lines=1')
    try {
      await client.waitFor((c) => c.lines().length >= 1, 'the last line')
      const res = await call(server.url, 'DELETE', '/api/cron/logs')
      expect(res.status).toBe(200)
      await client.waitFor((c) => c.items.some((i) => i.kind === 'message' && i.event === 'clear'), 'event: clear')
      const clearAt = client.items.findIndex((i) => i.kind === 'message' && i.event === 'clear')
      expect(client.items[clearAt]).toEqual({ kind: 'message', event: 'clear', data: '' })

      await runAndSee(server, client)
      const after = client.items.slice(clearAt + 1).flatMap((i) => (i.kind === 'message' && i.event === 'message' ? [i.data] : []))
      // After the clear the stream carries exactly what the (new) file holds.
      expect(after).toEqual(linesOf(logText(server)))
      expect(after.some((l) => l.endsWith('p out 5'))).toBe(true)
    } finally {
      await client.close()
    }
  })

  it('follows the log across rotations without losing or repeating a line - --log-max-bytes 1024, 400-byte lines', async (ctx) => {
    const server = await serverForTest({
      pipeline: { name: 'drip', steps: [{ name: 'drip', run: localFixture('drip.mjs', '12', '150', '400', 'drip') }] },
      args: ['--log-max-bytes', '1024', '--log-keep', '9'],
    }, ctx)
    // Opened before the daemon exists: the stream waits for the file to appear.
    const client = await openStream(server, '?lines=5')
    try {
      await client.waitFor((c) => c.items.length >= 1, 'the connected comment')
      await startDaemon(server, { interval_seconds: 3600 })
      await client.waitFor((c) => c.lines().some((l) => FINISHED.test(l)), 'the run to finish in the stream', 15_000)
      const rotated = [9, 8, 7, 6, 5, 4, 3, 2, 1].map((k) => logText(server, `.${k}`)).filter(Boolean)
      expect(rotated.length).toBeGreaterThanOrEqual(3)
      const everything = linesOf(rotated.join('') + logText(server))
      expect(client.lines()).toEqual(everything)
      const drips = client.lines().filter((l) => / drip \d+ x+$/.test(l))
      expect(drips.map((l) => Number(/ drip (\d+) /.exec(l)![1]))).toEqual(Array.from({ length: 12 }, (_, i) => i + 1))
    } finally {
      await client.close()
    }
  })

  it('loses no line when the log rotates several times between two polls - 2000 lines in ten bursts, --log-max-bytes 4096', async (ctx) => {
    const server = await serverForTest({
      // Ten separate bursts of ~6 KB: one rotation each, faster than the 200 ms poll, whatever the machine's load.
      pipeline: { name: 'flood', steps: [{ name: 'flood', run: fixture('bursts.mjs', '2000', '200') }] },
      args: ['--log-max-bytes', '4096', '--log-keep', '20'],
    }, ctx)
    const client = await openStream(server, '?lines=1')
    try {
      await client.waitFor((c) => c.items.length >= 1, 'the connected comment')
      await startDaemon(server, { interval_seconds: 3600 })
      await client.waitFor((c) => c.lines().some((l) => FINISHED.test(l)), 'the run to finish in the stream', 15_000)
      const rotated = Array.from({ length: 20 }, (_, k) => logText(server, `.${20 - k}`)).filter(Boolean)
      expect(rotated.length).toBeGreaterThanOrEqual(2)
      // Every retained file was streamed, in order, each line once.
      expect(client.lines()).toEqual(linesOf(rotated.join('') + logText(server)))
      const numbers = client.lines().flatMap((l) => {
        const m = /\] \[stdout\] fast (\d+)$/.exec(l)
        return m ? [Number(m[1])] : []
      })
      expect(numbers).toEqual(Array.from({ length: 2000 }, (_, i) => i + 1))
      // The stream is still live after all that rotation.
      await runAndSee(server, client)
    } finally {
      await client.close()
    }
  })

  it('closes cleanly when clients go away: 100 streams opened and dropped leave no file descriptor behind', { timeout: 60_000 }, async (ctx) => {
    const server = await quietServer(ctx)
    // Let the keep-alive connection of the start call settle into the baseline.
    expect((await call(server.url, 'GET', '/health')).status).toBe(200)
    const baseline = fdCount(server.pid)

    const clients = await Promise.all(Array.from({ length: 100 }, () => openStream(server, '?lines=2')))
    await waitFor(() => clients.every((c) => c.lines().length >= 2), { what: 'every stream to get its history', timeoutMs: 20_000 })
    // About 100 sockets (and the shared follower's handle) are open while they listen; an idle
    // keep-alive socket of the baseline may close meanwhile.
    expect(fdCount(server.pid)).toBeGreaterThanOrEqual(baseline + 90)

    await Promise.all(clients.map((c) => c.close()))
    await waitFor(() => fdCount(server.pid) <= baseline, { what: `the server's fds to return to ${baseline}`, timeoutMs: 15_000 })

    // The server is fine afterwards and a new stream works.
    const again = await openStream(server, '?lines=1')
    try {
      await again.waitFor((c) => c.lines().length === 1, 'a new stream')
      expect(again.lines()).toEqual(linesOf(logText(server)).slice(-1))
    } finally {
      await again.close()
    }
    await waitFor(() => fdCount(server.pid) <= baseline, { what: 'fds back to baseline after one more stream', timeoutMs: 15_000 })
  })
})
