import { closeSync, readFileSync } from 'node:fs'
import { randomUUID } from 'node:crypto'
import { link, lstat, mkdir, open, rename, unlink } from 'node:fs/promises'
import { join } from 'node:path'
import type { DaemonState, StateRead, StateStore } from '../../src/ports.js'
import { LockTimeoutError } from '../../src/ports.js'
import { nullUnlessRefused, openNoFollowSync, readTextNoFollow, writeTextNoFollow } from './no-follow.js'

// A lock file that stays empty or garbled this long was left by a holder that died mid-write.
const UNREADABLE_LOCK_MS = 10_000

/**
 * STATE_DIR/state.json, written atomically (temp file, then rename), and STATE_DIR/lock, an
 * exclusive-create lock file naming its holder, broken only when that holder is dead.
 * Neither is read through a symlink: one planted there is refused, naming the path.
 */
export function createFileStateStore(stateDir: string): StateStore {
  const statePath = join(stateDir, 'state.json')
  const lockPath = join(stateDir, 'lock')
  const ensureDir = () => mkdir(stateDir, { recursive: true })

  async function tryLock(token: string): Promise<boolean> {
    let fh: Awaited<ReturnType<typeof open>> | null = null
    try {
      fh = await open(lockPath, 'wx')
      await fh.writeFile(JSON.stringify({ pid: process.pid, token, at: new Date().toISOString() }))
      await fh.close()
      return true
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
        // Created but not written (a full disk): an empty lock would block every later start.
        if (fh) {
          await fh.close().catch(() => undefined)
          await unlink(lockPath).catch(() => undefined)
          // Node's write errors name no file ("ENOSPC: no space left on device, write").
          throw Object.assign(new Error(`${(err as Error).message} '${lockPath}'`), { code: (err as NodeJS.ErrnoException).code })
        }
        throw err
      }
    }
    await breakIfStale()
    return false
  }

  /** A lock whose holder process is gone (crashed mid start/stop) is moved away, then deleted. */
  async function breakIfStale() {
    const seen = await readTextNoFollow(lockPath).catch(nullUnlessRefused)
    if (seen === null) return
    let holder: number | null = null
    try {
      holder = (JSON.parse(seen) as { pid: number }).pid
    } catch {
      // Being written right now (open, then write): not stale, unless it has stayed unreadable
      // for a while (its holder died between the two).
      const age = await lstat(lockPath).then((st) => Date.now() - st.mtimeMs).catch(() => 0)
      if (age < UNREADABLE_LOCK_MS) return
    }
    if (holder !== null && isAlive(holder)) return
    const aside = `${lockPath}.stale-${randomUUID()}`
    try {
      await rename(lockPath, aside)
    } catch {
      return
    }
    // Someone may have taken a fresh lock between our read and the rename: give it back.
    const moved = await readTextNoFollow(aside).catch(() => null)
    if (moved !== seen) await link(aside, lockPath).catch(() => undefined)
    await unlink(aside).catch(() => undefined)
  }

  async function unlock(token: string) {
    const seen = await readTextNoFollow(lockPath).catch(() => null)
    if (seen && seen.includes(`"token":"${token}"`)) await unlink(lockPath).catch(() => undefined)
  }

  const store: StateStore = {
    async withLock(fn, waitMs = 60_000) {
      await ensureDir()
      const token = randomUUID()
      const deadline = Date.now() + waitMs
      while (!(await tryLock(token))) {
        if (Date.now() >= deadline) throw new LockTimeoutError()
        await new Promise((r) => setTimeout(r, 10 + Math.random() * 15))
      }
      try {
        return await fn()
      } finally {
        await unlock(token)
      }
    },

    async read(): Promise<StateRead> {
      let text: string
      try {
        // Read on every status: for a file this small, synchronous costs ~1/7 of the CPU of
        // fs/promises (four thread-pool round trips); see BENCHMARKS.md. The turn of the event
        // loop first keeps a caller polling read() in a loop from starving other I/O.
        await new Promise<void>((r) => setImmediate(r))
        const fd = openNoFollowSync(statePath, 'read')
        try {
          text = readFileSync(fd, 'utf8')
        } finally {
          closeSync(fd)
        }
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { state: null }
        // A directory in its place is as unusable as garbage: report it, so it is moved aside.
        if ((err as NodeJS.ErrnoException).code === 'EISDIR') return { state: null, corrupt: `${statePath}: is a directory` }
        throw err
      }
      try {
        const state = JSON.parse(text) as DaemonState
        if (!Number.isInteger(state.pid) || typeof state.instance_id !== 'string' || !state.schedule) {
          return { state: null, corrupt: `${statePath}: missing pid, instance_id or schedule` }
        }
        return { state }
      } catch (err) {
        return { state: null, corrupt: `${statePath}: invalid JSON (${(err as Error).message})` }
      }
    },

    async create(state) {
      await ensureDir()
      const tmp = `${statePath}.${state.instance_id}.tmp`
      try {
        await writeTextNoFollow(tmp, JSON.stringify(state, null, 2))
        // link() fails when state.json exists: two daemons can never both claim it.
        await link(tmp, statePath)
        return true
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false
        throw err
      } finally {
        await unlink(tmp).catch(() => undefined)
      }
    },

    async write(state) {
      const tmp = `${statePath}.${state.instance_id}.tmp`
      try {
        await writeTextNoFollow(tmp, JSON.stringify(state, null, 2))
        await rename(tmp, statePath)
      } catch (err) {
        await unlink(tmp).catch(() => undefined)
        throw err
      }
    },

    async remove(instanceId) {
      const read = await store.read()
      if (read.state?.instance_id === instanceId) await unlink(statePath).catch(() => undefined)
    },

    async quarantine() {
      const to = `${statePath}.corrupt-${Date.now()}`
      try {
        await rename(statePath, to)
        return to
      } catch {
        return null
      }
    },
  }
  return store
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}
