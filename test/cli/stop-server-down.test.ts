/**
 * `stop` with the server down: the daemon outlives its server, so the CLI says it may still be
 * running and how to stop it; both ways it names are followed here and work.
 */
import { execFileSync } from 'node:child_process'
import { afterAll, expect, it } from 'vitest'
import { isAlive } from '../helpers/procs.js'
import { FIXTURES, startServer, type TestServer } from '../helpers/server.js'
import { waitFor } from '../helpers/wait.js'
import { runCli } from './run-cli.js'

const pipeline = { steps: [{ name: 'greet', run: [process.execPath, `${FIXTURES}/print-lines.mjs`, '1'] }] }
const servers: TestServer[] = []
afterAll(async () => {
  for (const s of servers) await s.cleanup()
})

it('says the daemon may still be running and how to find and stop it, and exits 1 - stop with the server down', async () => {
  const first = await startServer({ pipeline })
  servers.push(first)
  const started = await runCli(['start', '--every', '1h', '--url', first.url])
  expect(started.code).toBe(0)
  const daemonPid = Number(/PID: (\d+)/.exec(started.stdout)![1])
  await first.close()

  const stop = await runCli(['stop', '--url', first.url])
  expect(stop).toEqual({
    code: 1,
    stdout: '',
    stderr:
      `pipeline-cron: cannot reach ${first.url} (ECONNREFUSED), so nothing was stopped. The daemon outlives its server and may still be running: ` +
      'start a server on its state dir (pipeline-cron serve --state-dir DIR) and run pipeline-cron stop again, ' +
      "or find it with pgrep -af -- '--instance=.* --state-dir=' (each daemon's command line names its state dir)\n",
  })
  expect(isAlive(daemonPid)).toBe(true)

  // The pgrep it suggests lists this daemon with its state dir.
  const pattern = /pgrep -af -- '([^']+)'/.exec(stop.stderr)![1]!
  const found = execFileSync('pgrep', ['-af', '--', pattern], { encoding: 'utf8' })
  expect(found.split('\n').find((l) => l.startsWith(`${daemonPid} `))).toContain(`--state-dir=${first.stateDir}`)

  // A server on the same state dir, then stop: the daemon is gone.
  const second = await startServer({ pipeline, dir: first.dir })
  servers.push(second)
  expect(await runCli(['stop', '--url', second.url])).toEqual({ code: 0, stdout: 'Daemon stopped successfully\n', stderr: '' })
  await waitFor(() => !isAlive(daemonPid), { timeoutMs: 10_000, what: 'the daemon to exit' })
}, 90_000)
