/** `run-once`: the pipeline in the foreground with no server and no daemon; the exit code is the run's result. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, expect, it } from 'vitest'
import { isAlive, killAll } from '../helpers/procs.js'
import { FIXTURES } from '../helpers/server.js'
import { waitFor } from '../helpers/wait.js'
import { runCli, spawnCli, watchCli } from './run-cli.js'

const node = process.execPath
const LINE = /^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\] /
let dir: string

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pc-run-once-'))
})
afterEach(() => {
  rmSync(dir, { recursive: true, force: true })
})

function writePipeline(pipeline: unknown, name = 'pipeline.json'): string {
  const file = join(dir, name)
  writeFileSync(file, JSON.stringify(pipeline))
  return file
}

it('exits 0 and prints every log line - a pipeline whose steps succeed', async () => {
  const file = writePipeline({
    name: 'tiny',
    steps: [
      { name: 'first', run: [node, join(FIXTURES, 'print-lines.mjs'), '2', '1', 'one'] },
      { name: 'second', run: `echo "in $PWD"`, cwd: '.' },
    ],
  })
  const logFile = join(dir, 'logs', 'run.log')
  const r = await runCli(['run-once', '--pipeline', file, '--log-file', logFile])
  expect(r.stderr).toBe('')
  expect(r.code).toBe(0)
  const lines = r.stdout.trimEnd().split('\n')
  for (const line of lines) expect(line).toMatch(LINE)
  const text = lines.map((l) => l.replace(LINE, ''))
  expect(text[0]).toBe('========== Pipeline execution started ==========')
  expect(text).toEqual(
    expect.arrayContaining(['[1/2] Running first...', '[stdout] one out 1', '[stdout] one out 2', '[stderr] one err 1', '[2/2] Running second...', `[stdout] in ${dir}`]),
  )
  expect(text.at(-1)).toMatch(/^========== Pipeline execution finished: success \(2\/2 steps, [\d.]+s\) ==========$/)
  // --log-file gets the same lines (appended, the folder made as needed).
  expect(readFileSync(logFile, 'utf8')).toBe(r.stdout)
})

it('gives the step its pipeline (the file stem), its run id and an empty scheduled time - a manual run', async () => {
  const file = writePipeline({ steps: [{ name: 'env', run: 'echo "p=$PIPELINE_CRON_PIPELINE id=$PIPELINE_CRON_RUN_ID at=[$PIPELINE_CRON_SCHEDULED_AT]"' }] }, 'nightly.json')
  const r = await runCli(['run-once', '--pipeline', file])
  expect(r.code, r.stderr).toBe(0)
  const line = /\[stdout\] p=(\S*) id=(\S*) at=\[(.*)\]/.exec(r.stdout)
  expect(line, r.stdout).not.toBeNull()
  expect(line!.slice(1)).toEqual(['nightly', expect.stringMatching(/^\d{8}T\d{6}Z-[0-9a-f]{4}$/), ''])
})

it('exits 1 and stops at the failed step - a step that exits 3', async () => {
  const file = writePipeline({
    steps: [
      { name: 'breaks', run: [node, join(FIXTURES, 'exit-with.mjs'), '3'] },
      { name: 'never', run: 'echo should-not-run' },
    ],
  })
  const r = await runCli(['run-once'], { env: { PIPELINE_FILE: file } })
  expect(r.code).toBe(1)
  expect(r.stdout).toMatch(/\[1\/2\] breaks failed: exit 3 in [\d.]+s/)
  expect(r.stdout).not.toContain('should-not-run')
  expect(r.stdout).toMatch(/Pipeline execution finished: failed \(0\/2 steps/)
})

it('exits 1 with one line naming the file, the path and the rule - an invalid pipeline file', async () => {
  const file = writePipeline({ steps: [{ name: 'x', run: 42 }] }, 'bad.json')
  const r = await runCli(['run-once', '--pipeline', file])
  expect(r.code).toBe(1)
  expect(r.stdout).toBe('')
  expect(r.stderr).toBe(`pipeline-cron: ${file}: steps[0].run: expected a string or an array of strings\n`)
})

it('exits 1 after cancelling the running step and leaves no process - Ctrl-C', async () => {
  const pidFile = join(dir, 'step.pid')
  const file = writePipeline({ steps: [{ name: 'long', run: [node, join(FIXTURES, 'sleep.mjs'), '60', pidFile] }] })
  const cli = watchCli(spawnCli(['run-once', '--pipeline', file, '--stop-grace', '2']))
  let stepPid: number | null = null
  try {
    stepPid = await waitFor(() => Number(readFileSync(pidFile, 'utf8')) || null, { timeoutMs: 15_000, what: 'the step to start' }).catch(() => null)
    expect(stepPid).not.toBeNull()
    expect(await cli.stop('SIGINT')).toBe(1)
    expect(cli.out.stdout).toMatch(/\[1\/1\] long cancelled in [\d.]+s/)
    expect(cli.out.stdout).toMatch(/Pipeline execution finished: cancelled/)
    expect(isAlive(stepPid!)).toBe(false)
  } finally {
    await cli.stop('SIGKILL')
    if (stepPid) killAll([stepPid])
  }
})
