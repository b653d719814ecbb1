/** `logs -f`: the last lines, then each new line, a note on stderr when the log is cleared; Ctrl-C ends it with 0. */
import { appendFileSync } from 'node:fs'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { PipelineCronClient } from '../../src/client.js'
import { startServer, type TestServer } from '../helpers/server.js'
import { spawnCli, watchCli } from './run-cli.js'

let server: TestServer
beforeAll(async () => {
  server = await startServer({ pipeline: { steps: [{ name: 'noop', run: 'true' }] } })
})
afterAll(async () => {
  await server?.cleanup()
})

const line = (text: string) => `[2025-12-26 10:30:45] ${text}\n`

it('prints the last N lines, then new ones, notes a clear, and exits 0 on Ctrl-C', async () => {
  appendFileSync(server.logFile, ['old 1', 'old 2', 'old 3'].map(line).join(''))
  const cli = watchCli(spawnCli(['logs', '-f', '-n', '2', '--url', server.url]))
  try {
    await cli.until((o) => o.stdout.includes('old 3'), 'the last lines')
    expect(cli.out.stdout).toBe(line('old 2') + line('old 3'))

    appendFileSync(server.logFile, line('new 1'))
    await cli.until((o) => o.stdout.includes('new 1'), 'a new line')

    await new PipelineCronClient(server.url).clearLogs()
    await cli.until((o) => o.stderr.includes('the log was cleared'), 'the clear note')
    expect(cli.out.stderr).toBe('-- the log was cleared --\n')

    expect(await cli.stop('SIGINT')).toBe(0)
  } finally {
    await cli.stop('SIGKILL')
  }
})
