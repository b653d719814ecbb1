/**
 * Retention of the file run history: pruning keeps the newest runs and never loses
 * a record appended while a prune is going (the daemon appends without waiting: skipped ticks,
 * the `running` record of a new run). Lookups of unknown ids, and junk lines.
 */
import { mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { createFileRunHistory, MAX_RECORD_BYTES } from '../../adapters/posix/run-history.js'
import type { RunRecord } from '../../src/ports.js'

const dirs: string[] = []
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

function stateDir() {
  const d = mkdtempSync(join(tmpdir(), 'pc-feat-runs-'))
  dirs.push(d)
  return d
}

/** Run k, started k seconds after a fixed time, so ids and start times sort the same way. */
function run(k: number, status: RunRecord['status'] = 'success'): RunRecord {
  const started = new Date(Date.UTC(2025, 11, 26, 10, 0, 0) + k * 1000).toISOString()
  return {
    id: `run-${String(k).padStart(5, '0')}`,
    instance_id: 'inst',
    trigger: 'schedule',
    status,
    scheduled_at: started,
    started_at: started,
    finished_at: status === 'running' ? null : started,
    duration_ms: status === 'running' ? null : 0,
    steps: [],
  }
}

const lines = (file: string) => readFileSync(file, 'utf8').split('\n').filter(Boolean)

describe('file run history retention', () => {
  it('prunes to the newest runs once in a while, not on every append - retain 10, 150 runs appended one by one', async () => {
    const dir = stateDir()
    const file = join(dir, 'runs.jsonl')
    const history = createFileRunHistory(dir, 10)
    const inodes = new Set<number>()
    for (let k = 1; k <= 150; k++) {
      await history.append(run(k, 'running'))
      await history.append(run(k))
      inodes.add(statSync(file).ino)
    }
    // 300 appends: a prune every 100 appends at most, so at most 3 rewrites.
    expect(inodes.size).toBeGreaterThanOrEqual(2)
    expect(inodes.size).toBeLessThanOrEqual(4)
    expect(lines(file).length).toBeLessThan(300)
    const listed = await history.list(1000)
    expect(listed.slice(0, 10).map((r) => r.id)).toEqual(Array.from({ length: 10 }, (_, i) => run(150 - i).id))
    for (const r of listed) expect(r.status).toBe('success')
    expect(new Set(listed.map((r) => r.id)).size).toBe(listed.length)
  })

  it('loses no record appended while a prune runs - retain 10, 400 appends without waiting', async () => {
    const dir = stateDir()
    const history = createFileRunHistory(dir, 10)
    // As the daemon does with skipped ticks and running records: appends are not awaited one by one.
    await Promise.all(Array.from({ length: 400 }, (_, i) => history.append(run(i + 1))))
    const listed = await history.list(1000)
    // Whatever was pruned, the newest 10 runs are all there.
    expect(listed.slice(0, 10).map((r) => r.id)).toEqual(Array.from({ length: 10 }, (_, i) => run(400 - i).id))
  })

  it('keeps the final record of a run whose running record was pruned around it - appends racing a prune', async () => {
    const dir = stateDir()
    const history = createFileRunHistory(dir, 10)
    for (let k = 1; k <= 49; k++) {
      await history.append(run(k, 'running'))
      await history.append(run(k))
    }
    // Appends 99 to 102: the 100th prunes while the others land.
    await Promise.all([history.append(run(50, 'running')), history.append(run(51, 'running')), history.append(run(50)), history.append(run(51))])
    expect((await history.get(run(50).id))?.status).toBe('success')
    expect((await history.get(run(51).id))?.status).toBe('success')
  })
})

describe('file run history lookups', () => {
  it('answers an unknown id without reading the file again while it is unchanged, and reads it again after an append', async () => {
    const dir = stateDir()
    const file = join(dir, 'runs.jsonl')
    const history = createFileRunHistory(dir, 10)
    await history.append(run(1))
    // Whole seconds survive utimes exactly, so the file's size, inode and mtime can be kept as they were.
    const at = new Date(Date.UTC(2025, 0, 1))
    utimesSync(file, at, at)
    expect(await history.get(run(2).id)).toBeNull()
    // Same size, same inode, same mtime, other content: only a read of the file could see run 2 now.
    writeFileSync(file, readFileSync(file, 'utf8').replace(run(1).id, run(2).id))
    utimesSync(file, at, at)
    expect(await history.get(run(2).id)).toBeNull()
    expect(await history.get('no-such-run')).toBeNull()
    await history.append(run(3))
    expect((await history.get(run(2).id))?.id).toBe(run(2).id)
    expect(await history.get(run(1).id)).toBeNull()
  })

  it('warns once about an over-long record and an unterminated tail, however often the file is read', async () => {
    const dir = stateDir()
    const file = join(dir, 'runs.jsonl')
    const warnings: string[] = []
    const history = createFileRunHistory(dir, 10, (m) => warnings.push(m))
    writeFileSync(file, JSON.stringify(run(1)) + '\n' + 'x'.repeat(MAX_RECORD_BYTES + 1) + '\n' + JSON.stringify(run(2)) + '\n{"id":"torn')
    for (let i = 0; i < 3; i++) {
      expect((await history.list(10)).map((r) => r.id)).toEqual([run(2).id, run(1).id])
      expect(await history.get(`unknown-${i}`)).toBeNull()
    }
    expect(warnings).toHaveLength(2)
    expect(warnings[0]).toMatch(/runs\.jsonl: skipped a record of 11 bytes at byte \d+: no newline at its end/)
    expect(warnings[1]).toMatch(new RegExp(`runs\\.jsonl: skipped a record of ${MAX_RECORD_BYTES + 1} bytes at byte \\d+: longer than ${MAX_RECORD_BYTES} bytes`))
  })
})
