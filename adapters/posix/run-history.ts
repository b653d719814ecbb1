import { mkdir, rename } from 'node:fs/promises'
import { statSync } from 'node:fs'
import { join } from 'node:path'
import type { RunHistory, RunRecord } from '../../src/ports.js'
import { nullUnlessRefused, openNoFollow, readTextNoFollow, writeTextNoFollow } from './no-follow.js'
import { linesFromEnd, type SkippedLine } from './read-backwards.js'

/**
 * STATE_DIR/runs.jsonl: one JSON record per line, appended; a run's later record (its result)
 * supersedes its earlier one (`running`). Read from the end, so recent runs are cheap.
 * Pruned to the newest `retain` runs once the file holds about twice that many records.
 * Never read or appended through a symlink: one planted there is refused, naming the path.
 */
// How many records may be appended out of start order (skipped ticks, late abandoned marks).
const LATE_RECORDS = 20
/** A record is a few hundred bytes per step: a line longer than this is junk, and is skipped. */
export const MAX_RECORD_BYTES = 4 * 1024 * 1024

/**
 * `warn` gets one line per junk line skipped (over MAX_RECORD_BYTES, or a last line without its
 * "\n"), once per history, not once per read.
 */
export function createFileRunHistory(stateDir: string, retain = 1000, warn: (message: string) => void = toStderr): RunHistory {
  const file = join(stateDir, 'runs.jsonl')
  let appendsSincePrune = 0
  // The last lists read, valid while the file keeps this identity, size and mtime.
  let listed: { key: string; byLimit: Map<number, RunRecord[]> } = { key: '', byLimit: new Map() }
  // Every record by id, from one whole read: an unknown id costs no read while the file is unchanged.
  let index: { key: string; byId: Map<string, RunRecord> } = { key: '', byId: new Map() }
  const warned = new Set<number>()
  const onSkip = (s: SkippedLine) => {
    // Keyed by where the line starts: it is the same junk once a later append gives it its "\n".
    if (warned.has(s.offset)) return
    if (warned.size >= 1000) warned.clear()
    warned.add(s.offset)
    const why = s.why === 'too long' ? `longer than ${MAX_RECORD_BYTES} bytes` : 'no newline at its end (torn by a crash, or still being written)'
    warn(`pipeline-cron: ${file}: skipped a record of ${s.bytes} bytes at byte ${s.offset}: ${why}`)
  }

  async function* newestFirst(): AsyncGenerator<RunRecord> {
    const seen = new Set<string>()
    for await (const line of linesFromEnd(file, { maxLine: MAX_RECORD_BYTES, skipUnterminated: true, onSkip })) {
      if (line.length === 0) continue
      let run: RunRecord
      try {
        run = JSON.parse(line.toString('utf8')) as RunRecord
      } catch {
        continue // a line torn by a crash mid-write is skipped, not fatal
      }
      // Valid JSON of another shape (null, a number, a half record) would crash every reader.
      if (!isRunRecord(run)) continue
      if (seen.has(run.id)) continue
      seen.add(run.id)
      yield run
    }
  }

  async function prune() {
    const text = (await readTextNoFollow(file).catch(nullUnlessRefused)) ?? ''
    const lines = text.split('\n').filter(Boolean)
    if (lines.length < retain * 2) return
    const keepIds = new Set<string>()
    const kept: string[] = []
    for (let i = lines.length - 1; i >= 0 && keepIds.size <= retain; i--) {
      const id = safeId(lines[i]!)
      if (!id) continue
      if (!keepIds.has(id) && keepIds.size === retain) break
      keepIds.add(id)
      kept.push(lines[i]!)
    }
    kept.reverse()
    const tmp = `${file}.${process.pid}.tmp`
    await writeTextNoFollow(tmp, kept.join('\n') + '\n')
    await rename(tmp, file)
  }

  // Appends and prunes run one at a time: a record appended between a prune's read and its
  // rename would be lost (the daemon does not wait for skipped-tick and `running` appends).
  let queue: Promise<unknown> = Promise.resolve()

  const history: RunHistory = {
    append(run) {
      const next = queue.then(async () => {
        await mkdir(stateDir, { recursive: true })
        // A crash mid-append leaves a line without its "\n": end it, or this record is glued to it and lost.
        const lead = (await endsWithNewline(file)) ? '' : '\n'
        const fh = await openNoFollow(file, 'append')
        try {
          await fh.appendFile(lead + JSON.stringify(run) + '\n')
        } finally {
          await fh.close()
        }
        if (++appendsSincePrune >= 100) {
          appendsSincePrune = 0
          await prune()
        }
      })
      queue = next.catch(() => undefined)
      return next
    },
    async list(limit) {
      // Status asks for the same runs on every call: answer from memory while the file is unchanged
      // (after a turn of the event loop, so a caller polling in a loop never starves other I/O).
      await new Promise<void>((r) => setImmediate(r))
      const key = fileKey(file)
      if (key !== listed.key) listed = { key, byLimit: new Map() }
      const known = listed.byLimit.get(limit)
      if (known) return known.slice()
      // A run's result (or its `abandoned` mark) can be written after runs that began later, so
      // read a little past `limit` by file order, then order by start.
      const out: RunRecord[] = []
      for await (const run of newestFirst()) {
        out.push(run)
        if (out.length >= limit + LATE_RECORDS) break
      }
      const result = out.sort((a, b) => b.started_at.localeCompare(a.started_at)).slice(0, limit)
      if (listed.key === key) listed.byLimit.set(limit, result)
      return result.slice()
    },
    async get(id) {
      const key = fileKey(file)
      if (index.key === key) return index.byId.get(id) ?? null
      // A recent run is found near the end; an unknown or old one reads the whole file, once.
      const byId = new Map<string, RunRecord>()
      for await (const run of newestFirst()) {
        if (run.id === id) return run
        byId.set(run.id, run)
      }
      if (fileKey(file) === key) index = { key, byId }
      return null
    },
  }
  return history
}

// Any append or prune changes the size or (rename) the inode. Stat'ed before the read, so a change
// during the read only makes the next call read again.
function fileKey(file: string): string {
  try {
    const s = statSync(file)
    return `${s.ino}:${s.size}:${s.mtimeMs}`
  } catch {
    return 'none'
  }
}

function toStderr(message: string) {
  process.stderr.write(`${message}\n`)
}

function safeId(line: string): string | null {
  try {
    return (JSON.parse(line) as { id?: string }).id ?? null
  } catch {
    return null
  }
}

async function endsWithNewline(path: string): Promise<boolean> {
  const fh = await openNoFollow(path, 'read').catch(nullUnlessRefused)
  if (!fh) return true
  try {
    const { size } = await fh.stat()
    if (size === 0) return true
    const last = Buffer.alloc(1)
    await fh.read(last, 0, 1, size - 1)
    return last[0] === 0x0a
  } finally {
    await fh.close()
  }
}

function isRunRecord(x: unknown): x is RunRecord {
  const r = x as Partial<RunRecord> | null
  return (
    typeof r === 'object' && r !== null && typeof r.id === 'string' && typeof r.status === 'string' &&
    typeof r.started_at === 'string' && Array.isArray(r.steps)
  )
}
