import { randomUUID } from 'node:crypto'
import { link, lstat, mkdir, open, rename, unlink } from 'node:fs/promises'
import type { Lock } from '../../src/ports.js'
import { LockTimeoutError } from '../../src/ports.js'
import { nullUnlessRefused, readTextNoFollow } from './no-follow.js'

// A lock file that stays empty or garbled this long was left by a holder that died mid-write.
const UNREADABLE_LOCK_MS = 10_000

/**
 * An exclusive-create lock file naming its holder (pid and a token), broken only when that holder
 * is dead: start, stop, pause and resume of every API server on one state dir take turns.
 * Never read through a symlink: one planted there is refused, naming the path.
 */
export function createLockFile(lockPath: string, dir: string): Lock {
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

  return {
    async withLock(fn, waitMs = 60_000) {
      await mkdir(dir, { recursive: true })
      const token = randomUUID()
      const deadline = Date.now() + waitMs
      while (!(await tryLock(token))) {
        if (Date.now() >= deadline) throw new LockTimeoutError()
        await new Promise((resolve) => setTimeout(resolve, 10 + Math.random() * 15))
      }
      try {
        return await fn()
      } finally {
        await unlock(token)
      }
    },
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}
