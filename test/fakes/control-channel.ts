import type { Connection, ControlChannel, Listener } from '../../src/ports.js'

/** A listener of the memory channel, with what can happen to the process that holds it. */
export interface MemoryListener extends Listener {
  /** Its process froze (SIGSTOP): connections are still accepted, but nothing is read or answered. */
  freeze(): void
  /** Its process died: every connection it accepted drops; the path stays, refusing connections. */
  abort(): void
}

/** One socket path in memory: a daemon listens, any number of servers connect. */
export interface MemoryControlChannel extends ControlChannel {
  listen(onConnection: (connection: Connection) => void): Promise<MemoryListener>
  /** Removes the socket's path (`rm daemon.sock`): connects fail until someone binds it again. */
  unlink(): void
}

interface Side {
  queue: string[]
  ended: boolean
  wake: (() => void) | null
}

type ListenerState = 'listening' | 'frozen' | 'closed' | 'dead'

/**
 * The control channel in memory, framed like the Unix socket: `send` writes a line, the other end
 * reads each non-empty line as one message, and closing either end ends both ends' `messages`
 * once what was already delivered is read.
 */
export function createMemoryChannel(): MemoryControlChannel {
  // The listener the socket's path names now; a dead one still holds it (connects are refused).
  let bound: { state: () => ListenerState; accept: () => Connection } | null = null

  return {
    unlink() {
      bound = null
    },
    async connect() {
      const listener = bound
      if (!listener || listener.state() === 'closed' || listener.state() === 'dead') return null
      return listener.accept()
    },
    async listen(onConnection) {
      let state: ListenerState = 'listening'
      const accepted = new Set<Connection>()
      let allClosed: (() => void) | null = null
      const forget = (connection: Connection) => {
        accepted.delete(connection)
        if (accepted.size === 0) allClosed?.()
      }
      const self = {
        state: () => state,
        accept() {
          const [client, server] = connectionPair(() => state === 'frozen', forget)
          accepted.add(server)
          // A frozen process never sees the connection the kernel accepted for it.
          if (state === 'listening') onConnection(server)
          return client
        },
      }
      bound = self
      const listener: MemoryListener = {
        // Like a server's close: no new connections, and it settles once the open ones have ended.
        close() {
          if (state === 'listening' || state === 'frozen') state = 'closed'
          if (bound === self) bound = null
          if (accepted.size === 0) return Promise.resolve()
          return new Promise<void>((resolve) => (allClosed = resolve))
        },
        async rebindIfLost() {
          if (bound === self || state === 'closed' || state === 'dead') return false
          bound = self
          return true
        },
        freeze() {
          if (state === 'listening') state = 'frozen'
        },
        abort() {
          state = 'dead'
          for (const connection of [...accepted]) connection.close()
        },
      }
      return listener
    },
  }
}

/** Two connected ends; `held` stalls the server end (its process is frozen). */
function connectionPair(held: () => boolean, onClosed: (serverEnd: Connection) => void): [Connection, Connection] {
  const client: Side = { queue: [], ended: false, wake: null }
  const server: Side = { queue: [], ended: false, wake: null }
  // Closing either end ends both, once.
  const close = () => {
    if (client.ended) return
    client.ended = server.ended = true
    wake(client)
    wake(server)
    onClosed(serverEnd)
  }
  const clientEnd = end(client, server, () => false, close)
  const serverEnd = end(server, client, held, close)
  return [clientEnd, serverEnd]
}

function wake(side: Side) {
  side.wake?.()
  side.wake = null
}

function end(own: Side, peer: Side, held: () => boolean, close: () => void): Connection {
  return {
    send(message) {
      if (own.ended || held()) return
      peer.queue.push(...message.split('\n').filter((line) => line.length > 0))
      wake(peer)
    },
    close,
    messages: {
      async *[Symbol.asyncIterator]() {
        for (;;) {
          if (!held()) while (own.queue.length > 0) yield own.queue.shift()!
          if (own.ended) return
          await new Promise<void>((resolve) => (own.wake = resolve))
        }
      },
    },
  }
}
