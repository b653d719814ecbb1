/**
 * The control channel on a Unix socket in STATE_DIR (node:net, which Bun implements too). The
 * socket file is created by the daemon, readable and writable by its owner only.
 */
import { chmodSync, lstatSync, unlinkSync } from 'node:fs'
import { createConnection, createServer, type Server, type Socket } from 'node:net'
import { LineSplitter } from '../../src/log-line.js'
import type { Connection, ControlChannel, Listener } from '../../src/ports.js'

// A message longer than this is not one of ours: the connection is dropped.
const MAX_MESSAGE = 4 * 1024 * 1024

export function createControlSocket(path: string): ControlChannel {
  return {
    async listen(onConnection) {
      let server = await bind(path, onConnection)
      let inode = inodeOf(path)
      const listener: Listener = {
        close: () => new Promise<void>((resolve) => server.close(() => resolve())).then(() => removeIfInode(path, inode)),
        async rebindIfLost() {
          if (inode !== null && inodeOf(path) === inode) return false
          server.close()
          server = await bind(path, onConnection)
          inode = inodeOf(path)
          return true
        },
      }
      return listener
    },
    connect() {
      return new Promise<Connection | null>((resolve) => {
        const socket = createConnection(path)
        socket.once('connect', () => resolve(wrap(socket)))
        // ENOENT (no daemon ever listened), ECONNREFUSED (one died and left its socket file).
        socket.once('error', () => resolve(null))
      })
    },
  }
}

async function bind(path: string, onConnection: (connection: Connection) => void): Promise<Server> {
  const server = createServer((socket) => onConnection(wrap(socket)))
  const listen = () =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(path, () => {
        server.off('error', reject)
        resolve()
      })
    })
  try {
    await listen()
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err
    // A socket file left by a daemon that died: nobody answers on it (the caller holds the
    // state dir's claim, so no live daemon of ours listens there).
    unlinkSync(path)
    await listen()
  }
  chmodSync(path, 0o600)
  return server
}

/** Wraps a socket as a Connection: JSON messages, one per line. */
function wrap(socket: Socket): Connection {
  socket.setEncoding('utf8')
  const splitter = new LineSplitter(MAX_MESSAGE)
  const queue: string[] = []
  let wake: (() => void) | null = null
  let ended = false
  const notify = () => {
    wake?.()
    wake = null
  }
  socket.on('data', (chunk: string) => {
    queue.push(...splitter.push(chunk).filter((line) => line.length > 0))
    notify()
  })
  socket.on('close', () => {
    ended = true
    notify()
  })
  socket.on('error', () => socket.destroy())
  return {
    send(message) {
      if (!socket.destroyed && socket.writable) socket.write(`${message}\n`)
    },
    close: () => void socket.destroy(),
    messages: {
      async *[Symbol.asyncIterator]() {
        for (;;) {
          while (queue.length > 0) yield queue.shift()!
          if (ended) return
          await new Promise<void>((resolve) => (wake = resolve))
        }
      },
    },
  }
}

function inodeOf(path: string): number | null {
  try {
    return lstatSync(path).ino
  } catch {
    return null
  }
}

function removeIfInode(path: string, inode: number | null) {
  if (inode !== null && inodeOf(path) === inode) unlinkSync(path)
}
