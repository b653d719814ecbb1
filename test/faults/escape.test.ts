/**
 * Processes that try to outlive a stop: a chain that keeps re-launching itself in a new
 * session, and a step whose `env` tries to replace the daemon's instance marker (the mark the
 * stop sweep finds a tree by). After stop returns, nothing carrying the marker is alive, and
 * nothing new appears.
 */
import { randomUUID } from 'node:crypto'
import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it, onTestFinished } from 'vitest'
import { call, daemonPidsOf, expectError, FAULT_FIXTURES, isAlive, killAll, logText, readState, serverWithPipeline, startDaemon, waitFor } from './support.js'

// Generations the chain may run before it ends by itself (a bound for a stop that fails).
const CHAIN_BOUND = 3000

describe('processes that escape stop', () => {
  it('leaves no process with the marker alive, none appearing for 3 s after - a step chain that re-launches itself with setsid every few ms', async () => {
    const server = await serverWithPipeline((dir) => ({
      name: 'relaunch',
      steps: [
        {
          name: 'chain',
          // Three chains: one scan then SIGKILL sometimes ends one by luck, all three almost never.
          // Then the step holds, so stop cancels a running step as well.
          run: ['/bin/sh', '-c', 'for c in 1 2 3; do /bin/sh "$0" "$1" "$2" & done; exec sleep 120', join(FAULT_FIXTURES, 'relauncher.sh'), join(dir, 'chain.pids'), String(CHAIN_BOUND)],
        },
      ],
    }))
    const pidFile = join(server.dir, 'chain.pids')
    const generations = () => readLines(pidFile).length
    const { pid, instanceId } = await startDaemon(server)
    onTestFinished(() => freezeAndKill(instanceId))
    await waitFor(() => generations() >= 20, { what: 'the chain to re-launch itself 20 times' })

    const res = await call(server.url, 'POST', '/api/cron/stop')
    expect(res.status, res.text).toBe(200)
    expect(res.body).toMatchObject({ success: true, forced: false, survivors: expect.any(Array) })
    const atStop = generations()

    // A generation lives a few ms: a chain that escaped shows up in /proc many times within 3 s.
    const seen = new Set<number>()
    const until = Date.now() + 3000
    while (Date.now() < until) {
      for (const p of markedNewestFirst(instanceId)) seen.add(p)
      await new Promise((r) => setTimeout(r, 20))
    }
    const grown = generations() - atStop
    const why = `generations at stop: ${atStop}, born after: ${grown}; survivors reported: ${JSON.stringify(res.body.survivors)}`
    expect(grown, why).toBe(0)
    expect([...seen], `marker alive after stop (${why})`).toEqual([])
    expect(daemonPidsOf(server.stateDir)).toEqual([])
    expect(readState(server)).toBeNull()
    expect(isAlive(pid)).toBe(false)
    expect(logText(server)).toMatch(/Killed \d+ leftover process\(es\) of the pipeline/)
  }, 30_000)

  it('answers 500 naming steps[0].env.PIPELINE_CRON_INSTANCE, starts nothing - a step env that overrides the instance marker', async () => {
    const fake = `not-the-daemon-${randomUUID()}`
    onTestFinished(() => freezeAndKill(fake))
    const server = await serverWithPipeline(() => ({ name: 'ok', steps: [{ name: 'ok', run: ['true'] }] }))
    // Valid at server start-up; replaced before the daemon start, which validates it again.
    writeFileSync(
      server.pipelineFile,
      JSON.stringify({
        name: 'marker-override',
        steps: [{ name: 'hide', run: 'setsid sleep 777 >/dev/null 2>&1 & exec sleep 120', env: { PIPELINE_CRON_INSTANCE: fake } }],
      }),
    )
    const res = await call(server.url, 'POST', '/api/cron/start', { json: { interval_seconds: 3600 } })
    // Before the fix the daemon started, and `sleep 777` outlived its stop (survivors: []).
    if (res.status === 200) await call(server.url, 'POST', '/api/cron/stop')
    expectError(res, 500)
    expect(res.body.detail).toBe('pipeline.json: steps[0].env.PIPELINE_CRON_INSTANCE: reserved: set by the daemon')
    expect(daemonPidsOf(server.stateDir)).toEqual([])
    expect(markedNewestFirst(fake)).toEqual([])
    expect((await call(server.url, 'GET', '/api/cron/status')).body).toMatchObject({ is_running: false, pid: null })
  })
})

function readLines(path: string): string[] {
  try {
    return readFileSync(path, 'utf8').split('\n').filter(Boolean)
  } catch {
    return []
  }
}

/** Live pids carrying `PIPELINE_CRON_INSTANCE=<id>`, newest first: a fast chain's tip is read before it can exit. */
function markedNewestFirst(id: string): number[] {
  const marker = `PIPELINE_CRON_INSTANCE=${id}`
  return readdirSync('/proc')
    .filter((e) => /^\d+$/.test(e))
    .map(Number)
    .sort((a, b) => b - a)
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0').includes(marker)
      } catch {
        return false
      }
    })
}

/** The test's own cleanup, should a chain outlive the stop: freeze, kill, rescan until two scans find none (bounded). */
async function freezeAndKill(id: string) {
  const until = Date.now() + 10_000
  for (let quiet = 0; quiet < 2 && Date.now() < until; ) {
    const pids = markedNewestFirst(id)
    quiet = pids.length ? 0 : quiet + 1
    for (const p of pids) {
      try {
        process.kill(p, 'SIGSTOP')
      } catch {
        // gone meanwhile
      }
    }
    killAll(pids)
    await new Promise((r) => setTimeout(r, 5))
  }
}
