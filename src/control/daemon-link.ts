/**
 * The API server's end of the control channel: one connection to the daemon, the state of every
 * pipeline it runs (kept current by the daemon's pushes, so status is answered from memory), and
 * requests matched to their replies.
 */
import type { Connection, ControlChannel } from '../ports.js'
import type { Message, PipelineLive, Reply, Request } from '../daemon/protocol.js'
import { decode, messageSchema } from '../daemon/protocol.js'

export interface DaemonInfo {
  pid: number
  instance_id: string
  runtime: string
  started_at: string
}

/** A request as the caller writes it; the link numbers it. */
export type Ask = Request extends infer R ? (R extends { id: number } ? Omit<R, 'id'> : never) : never

export interface DaemonLink {
  /**
   * Connects if a daemon listens and none is connected yet; true when connected. After a failed
   * attempt, tries again only after a short pause unless `force` (start and stop force it).
   */
  connect(force?: boolean): Promise<boolean>
  daemon(): DaemonInfo | null
  live(name: string): PipelineLive | null
  /** Names of the pipelines the daemon runs. */
  running(): string[]
  /** The reply, or null when the daemon did not answer within `timeoutMs` or went away. */
  ask(request: Ask, timeoutMs: number): Promise<Reply | null>
  /** Called when the connection ends (the daemon exited, crashed or was killed). */
  onDown(listener: (daemon: DaemonInfo) => void): void
  /** Called whenever a pipeline's pushed state changes (or the daemon comes or goes). */
  onChange(listener: (name: string | null) => void): void
  close(): void
}

// While no daemon answers, a connect attempt is made at most this often (status may ask on every request).
const RETRY_MS = 250

export function createDaemonLink(channel: ControlChannel, now: () => number = Date.now): DaemonLink {
  let connection: Connection | null = null
  let lastFailure = -Infinity
  let connecting: Promise<boolean> | null = null
  let info: DaemonInfo | null = null
  const live = new Map<string, PipelineLive>()
  const pending = new Map<number, (reply: Reply | null) => void>()
  const downListeners: ((daemon: DaemonInfo) => void)[] = []
  const changeListeners: ((name: string | null) => void)[] = []
  let nextId = 1
  let closed = false

  const changed = (name: string | null) => changeListeners.forEach((listener) => listener(name))

  function onMessage(message: Message, hello: (ok: boolean) => void) {
    if (message.type === 'hello') {
      info = { pid: message.pid, instance_id: message.instance_id, runtime: message.runtime, started_at: message.started_at }
      live.clear()
      for (const [name, state] of Object.entries(message.pipelines)) live.set(name, state)
      hello(true)
      changed(null)
    } else if (message.type === 'pipeline') {
      if (message.live) live.set(message.name, message.live)
      else live.delete(message.name)
      changed(message.name)
    } else {
      pending.get(message.id)?.(message)
      pending.delete(message.id)
    }
  }

  /** Reads until the daemon goes; the first message (hello) settles `ready`. */
  async function read(conn: Connection, hello: (ok: boolean) => void) {
    try {
      for await (const line of conn.messages) {
        const message = decode(messageSchema, line)
        if (message) onMessage(message, hello)
      }
    } finally {
      hello(false)
      const was = info
      connection = null
      info = null
      live.clear()
      for (const resolve of pending.values()) resolve(null)
      pending.clear()
      changed(null)
      if (was && !closed) downListeners.forEach((listener) => listener(was))
    }
  }

  return {
    connect(force = false) {
      if (connection && info) return Promise.resolve(true)
      if (!force && !connecting && now() - lastFailure < RETRY_MS) return Promise.resolve(false)
      connecting ??= (async () => {
        const conn = await channel.connect()
        if (!conn) {
          lastFailure = now()
          return false
        }
        connection = conn
        const ready = new Promise<boolean>((resolve) => void read(conn, resolve))
        // A process that accepts but never says hello is not a daemon of ours (or is frozen).
        const ok = await withTimeout(ready, 5000, false)
        if (!ok) {
          conn.close()
          lastFailure = now()
        }
        return ok
      })().finally(() => (connecting = null))
      return connecting
    },
    daemon: () => info,
    live: (name) => live.get(name) ?? null,
    running: () => [...live.keys()],
    ask(request, timeoutMs) {
      const conn = connection
      if (!conn) return Promise.resolve(null)
      const id = nextId++
      const reply = new Promise<Reply | null>((resolve) => pending.set(id, resolve))
      conn.send(JSON.stringify({ ...request, id }))
      return withTimeout(reply, timeoutMs, null).finally(() => pending.delete(id))
    },
    onDown: (listener) => void downListeners.push(listener),
    onChange: (listener) => void changeListeners.push(listener),
    close() {
      closed = true
      connection?.close()
    },
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number, fallback: T): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const timeout = new Promise<T>((resolve) => (timer = setTimeout(resolve, ms, fallback)))
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}
