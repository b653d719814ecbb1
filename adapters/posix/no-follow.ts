/**
 * Opens the log and state files without following a symlink in the last component (O_NOFOLLOW):
 * whoever can write their folder (often under /tmp) could otherwise point them at any file for
 * a service run as root to read, truncate or append to. A symlink there is refused, naming it.
 */
import { constants, lstatSync, openSync } from 'node:fs'
import { open, type FileHandle } from 'node:fs/promises'
import { ConfigError } from '../../src/errors.js'

const { O_NOFOLLOW, O_RDONLY, O_WRONLY, O_APPEND, O_CREAT, O_TRUNC } = constants

const NO_FOLLOW = {
  read: O_RDONLY | O_NOFOLLOW,
  /** For a truncation in place: no create, no append. */
  write: O_WRONLY | O_NOFOLLOW,
  append: O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW,
  /** A fresh file (temp files): created or emptied. */
  replace: O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW,
} as const

export type NoFollowMode = keyof typeof NO_FOLLOW

export async function openNoFollow(path: string, mode: NoFollowMode): Promise<FileHandle> {
  try {
    return await open(path, NO_FOLLOW[mode], 0o666)
  } catch (err) {
    throw refusalOr(err, path)
  }
}

export function openNoFollowSync(path: string, mode: NoFollowMode): number {
  try {
    return openSync(path, NO_FOLLOW[mode], 0o666)
  } catch (err) {
    throw refusalOr(err, path)
  }
}

/** The whole file as text; a missing file is null. */
export async function readTextNoFollow(path: string): Promise<string | null> {
  const fh = await openNoFollow(path, 'read').catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return null
    throw err
  })
  if (!fh) return null
  try {
    return await fh.readFile('utf8')
  } finally {
    await fh.close()
  }
}

/** Writes a fresh file (a temp file renamed into place afterwards). */
export async function writeTextNoFollow(path: string, text: string): Promise<void> {
  const fh = await openNoFollow(path, 'replace')
  try {
    await fh.writeFile(text)
  } finally {
    await fh.close()
  }
}

/** For a `.catch` where any failure means "nothing there", except a refused symlink. */
export function nullUnlessRefused(err: unknown): null {
  if ((err as NodeJS.ErrnoException).code === 'ELOOP') throw err
  return null
}

/** Throws the refusal when `path` is a symlink (for a file opened later, or by another process). */
export function refuseSymlink(path: string): void {
  let link = false
  try {
    link = lstatSync(path).isSymbolicLink()
  } catch {
    return // missing: nothing to follow
  }
  if (link) throw symlinkRefusal(path)
}

/** The one message for a refused symlink, naming the path (the API answers 500 with it). */
function symlinkRefusal(path: string): ConfigError & { code: 'ELOOP' } {
  return Object.assign(new ConfigError(`refusing to follow a symlink: ${path}`), { code: 'ELOOP' as const })
}

/** O_NOFOLLOW on a symlink fails with ELOOP; so does a loop earlier in the path, which is left as it is. */
function refusalOr(err: unknown, path: string): unknown {
  if ((err as NodeJS.ErrnoException).code !== 'ELOOP') return err
  try {
    if (lstatSync(path).isSymbolicLink()) return symlinkRefusal(path)
  } catch {
    // lstat failed too: report the open's own error
  }
  return err
}
