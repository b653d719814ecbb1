import type { Connection, ControlChannel, Listener } from '../../src/ports.js'
import { within, type ContractHarness } from './harness.js'

/** One control channel under test: a socket path the daemon listens on and servers connect to. */
export interface ChannelFixture {
  channel: ControlChannel
  /** A second handle on the same path, as another process opens it. */
  other(): ControlChannel
  /** Removes the socket's path, as `rm STATE_DIR/daemon.sock` does. */
  unlink(): Promise<void>
  cleanup(): Promise<void>
}

export interface ControlChannelContract extends ContractHarness {
  make(): Promise<ChannelFixture>
}

/** Reads a connection's messages as they come. */
function reader(connection: Connection) {
  const got: string[] = []
  let ended = false
  // Set by the waiter below (typed here: TS would narrow a `null` initialiser for good).
  let wake = null as (() => void) | null
  void (async () => {
    for await (const message of connection.messages) {
      got.push(message)
      wake?.()
    }
    ended = true
    wake?.()
  })()
  const until = async (done: () => boolean, what: string) => {
    const wait = (async () => {
      while (!done()) await new Promise<void>((resolve) => (wake = resolve))
    })()
    await within(wait, 5000, what)
  }
  return {
    got,
    /** The first `n` messages, once they have come. */
    take: async (n: number) => (await until(() => got.length >= n || ended, `${n} messages`), got.slice(0, n)),
    /** Settles when `messages` has ended. */
    end: () => until(() => ended, 'the end of messages'),
  }
}

/** The ControlChannel contract; every implementation, the in-memory one included, must pass it. */
export function controlChannelContract({ it, expect, make }: ControlChannelContract) {
  /** Runs `fn` with the fixture; every connection and listener it made is closed after. */
  const withChannel = async (fn: (f: ChannelFixture & { accepted: Connection[] }) => Promise<void>) => {
    const f = await make()
    const accepted: Connection[] = []
    const opened: Connection[] = []
    const listeners: Listener[] = []
    const track = (channel: ControlChannel): ControlChannel => ({
      async listen(onConnection) {
        const listener = await channel.listen((connection) => {
          accepted.push(connection)
          onConnection(connection)
        })
        listeners.push(listener)
        return listener
      },
      async connect() {
        const connection = await channel.connect()
        if (connection) opened.push(connection)
        return connection
      },
    })
    try {
      await fn({ ...f, channel: track(f.channel), other: () => track(f.other()), accepted })
    } finally {
      for (const connection of [...opened, ...accepted]) connection.close()
      for (const listener of listeners) await within(listener.close(), 5000, 'the listener to close').catch(() => undefined)
      await f.cleanup()
    }
  }
  const nothing = () => undefined

  it('connects to nothing - nobody listens', () =>
    withChannel(async ({ channel }) => {
      expect(await channel.connect()).toBeNull()
    }))

  it('carries messages both ways, in order - one connection', () =>
    withChannel(async ({ channel, other, accepted }) => {
      await channel.listen(nothing)
      const client = (await other().connect())!
      expect(client).not.toBeNull()
      const atClient = reader(client)
      client.send('{"id":1}')
      client.send('{"id":2}')
      client.send('{"id":3}')
      await within(
        (async () => {
          while (accepted.length === 0) await new Promise((resolve) => setTimeout(resolve, 5))
        })(),
        5000,
        'the connection to be accepted',
      )
      const atServer = reader(accepted[0]!)
      expect(await atServer.take(3)).toEqual(['{"id":1}', '{"id":2}', '{"id":3}'])
      accepted[0]!.send('{"type":"reply"}')
      expect(await atClient.take(1)).toEqual(['{"type":"reply"}'])
    }))

  it('reads each line as one message and skips empty lines - a message with newlines in it', () =>
    withChannel(async ({ channel, other }) => {
      const server = new Promise<Connection>((resolve) => void channel.listen(resolve))
      const client = (await other().connect())!
      client.send('a\n\nb')
      client.send('c')
      expect(await reader(await server).take(3)).toEqual(['a', 'b', 'c'])
    }))

  it('delivers a large message whole - 1 MB', () =>
    withChannel(async ({ channel, other }) => {
      const server = new Promise<Connection>((resolve) => void channel.listen(resolve))
      const client = (await other().connect())!
      const big = JSON.stringify({ text: 'x€'.repeat(500_000) })
      client.send(big)
      client.send('after')
      expect(await reader(await server).take(2)).toEqual([big, 'after'])
    }), 30_000)

  it('keeps connections apart - two servers connected', () =>
    withChannel(async ({ channel, other }) => {
      const servers: Connection[] = []
      await channel.listen((connection) => {
        servers.push(connection)
        const id = servers.length
        void (async () => {
          for await (const message of connection.messages) connection.send(`${id}:${message}`)
        })()
      })
      const one = (await other().connect())!
      const oneReads = reader(one)
      one.send('ping')
      expect(await oneReads.take(1)).toEqual(['1:ping'])
      const two = (await other().connect())!
      const twoReads = reader(two)
      two.send('pong')
      expect(await twoReads.take(1)).toEqual(['2:pong'])
      one.send('again')
      expect(await oneReads.take(2)).toEqual(['1:ping', '1:again'])
      expect(twoReads.got).toEqual(['2:pong'])
    }))

  it('ends the daemon\'s messages after what was sent before - the server hangs up', () =>
    withChannel(async ({ channel, other }) => {
      const server = new Promise<Connection>((resolve) => void channel.listen(resolve))
      const client = (await other().connect())!
      const atServer = reader(await server)
      client.send('last words')
      client.close()
      await atServer.end()
      expect(atServer.got).toEqual(['last words'])
    }))

  it('ends the server\'s messages, and drops what is sent after - the daemon hangs up', () =>
    withChannel(async ({ channel, other }) => {
      const server = new Promise<Connection>((resolve) => void channel.listen(resolve))
      const client = (await other().connect())!
      const atClient = reader(client)
      const daemonEnd = await server
      daemonEnd.send('bye')
      daemonEnd.close()
      await atClient.end()
      expect(atClient.got).toEqual(['bye'])
      daemonEnd.send('too late')
      client.send('too late')
    }))

  it('refuses connections once closed, after the open ones end - close', () =>
    withChannel(async ({ channel, other, accepted }) => {
      const listener = await channel.listen(nothing)
      const client = (await other().connect())!
      const atClient = reader(client)
      await within(
        (async () => {
          while (accepted.length === 0) await new Promise((resolve) => setTimeout(resolve, 5))
        })(),
        5000,
        'the connection to be accepted',
      )
      accepted[0]!.close()
      await within(listener.close(), 5000, 'close')
      await atClient.end()
      expect(await other().connect()).toBeNull()
    }))

  it('takes the path back with rebindIfLost, and only then - the socket path removed', () =>
    withChannel(async ({ channel, other, unlink }) => {
      const listener = await channel.listen(nothing)
      expect(await listener.rebindIfLost()).toBe(false)
      await unlink()
      expect(await other().connect()).toBeNull()
      expect(await listener.rebindIfLost()).toBe(true)
      expect(await other().connect()).not.toBeNull()
      expect(await listener.rebindIfLost()).toBe(false)
    }))

  it('lets a new listener take the path; closing it leaves the path to whoever rebinds - a socket left by a daemon that died', () =>
    withChannel(async ({ channel, other }) => {
      const greet = (name: string) => (connection: Connection) => connection.send(name)
      const first = await channel.listen(greet('first'))
      const second = await other().listen(greet('second'))
      const client = (await other().connect())!
      expect(await reader(client).take(1)).toEqual(['second'])
      // A listener's close waits for its connections: end ours first.
      client.close()
      await within(second.close(), 5000, 'the second to close')
      expect(await first.rebindIfLost()).toBe(true)
      expect(await reader((await other().connect())!).take(1)).toEqual(['first'])
    }))
}
