/**
 * Processes that try to outlive a stop: a chain that keeps re-launching itself in a new
 * session, and a step whose `env` tries to replace the daemon's instance marker (the mark the
 * stop sweep finds a tree by). After stop returns, nothing carrying the marker is alive, and
 * nothing new appears.
 */
import { randomUUID } from 'node:crypto'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it, onTestFinished } from 'vitest'
import {
  call,
  daemonPidsOf,
  expectError,
  FAULT_FIXTURES,
  isAlive,
  killAll,
  logText,
  pidsWithEnv,
  readState,
  serverWithPipeline,
  startDaemon,
  treeOf,
  waitFor,
} from './support.js'

// Generations the chain may run before it ends by itself (a bound for a stop that fails).
const CHAIN_BOUND = 3000

describe('processes that escape stop', () => {
  it('leaves no process with the marker alive, none appearing for 3 s after - a step chain that re-launches itself with setsid every few ms', async () => {
    const server = await serverWithPipeline((dir) => ({
      name: 'relaunch',
      steps: [
        {
          name: 'chain',
          // The step starts the chain, then holds, so stop cancels a running step as well.
          run: ['/bin/sh', '-c', '/bin/sh "$0" "$1" "$2" & exec sleep 120', join(FAULT_FIXTURES, 'relauncher.sh'), join(dir, 'chain.pids'), String(CHAIN_BOUND)],
        },
      ],
    }))
    const pidFile = join(server.dir, 'chain.pids')
    const generations = () => readLines(pidFile).length
    const { pid, instanceId } = await startDaemon(server)
    onTestFinished(() => freezeAndKill(() => treeOf(instanceId)))
    await waitFor(() => generations() >= 20, { what: 'the chain to re-launch itself 20 times' })

    const res = await call(server.url, 'POST', '/api/cron/stop')
    expect(res.status, res.text).toBe(200)
    expect(res.body).toMatchObject({ success: true, forced: false, survivors: expect.any(Array) })
    const atStop = generations()

    // Each generation lives ~5-20 ms: a chain that escaped shows up in /proc well within 3 s.
    const seen = new Set<number>()
    const until = Date.now() + 3000
    while (Date.now() < until) {
      for (const p of treeOf(instanceId)) seen.add(p)
      await new Promise((r) => setTimeout(r, 20))
    }
    const grown = generations() - atStop
    expect([...seen], `marker alive after stop (generations at stop: ${atStop}, born after: ${grown}; survivors reported: ${JSON.stringify(res.body.survivors)})`).toEqual([])
    expect(grown).toBe(0)
    expect(daemonPidsOf(server.stateDir)).toEqual([])
    expect(readState(server)).toBeNull()
    expect(isAlive(pid)).toBe(false)
    expect(logText(server)).toMatch(/Killed \d+ leftover process\(es\) of the pipeline/)
  }, 30_000)

  it('answers 500 naming steps[0].env.PIPELINE_CRON_INSTANCE, starts nothing - a step env that overrides the instance marker', async () => {
    const fake = `not-the-daemon-${randomUUID()}`
    onTestFinished(() => freezeAndKill(() => pidsWithEnv('PIPELINE_CRON_INSTANCE', fake)))
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
    expect(pidsWithEnv('PIPELINE_CRON_INSTANCE', fake)).toEqual([])
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

/** The test's own cleanup of a chain: freeze what is found, kill it, rescan (bounded). */
async function freezeAndKill(find: () => number[]) {
  const until = Date.now() + 5000
  for (let pids = find(); pids.length > 0 && Date.now() < until; pids = find()) {
    for (const p of pids) {
      try {
        process.kill(p, 'SIGSTOP')
      } catch {
        // gone meanwhile
      }
    }
    killAll(pids)
    await new Promise((r) => setTimeout(r, 10))
  }
}
