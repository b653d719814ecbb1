/** The API server's end of the control channel (src/control/daemon-link.ts) against a daemon end written by the test. */
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createDaemonLink, type DaemonInfo } from '../../src/control/daemon-link.js'
import type { Message, PipelineLive } from '../../src/daemon/protocol.js'
import type { Connection } from '../../src/ports.js'
import { createMemoryChannel, type MemoryControlChannel } from '../fakes/control-channel.js'
import { pipelineLive } from '../fakes/records.js'
import { waitFor } from '../helpers/wait.js'

afterEach(() => {
  vi.useRealTimers()
})

const LIVE = pipelineLive()
const INFO: DaemonInfo = { pid: 4242, instance_id: 'daemon-1', runtime: 'test', started_at: '2025-12-26T10:00:00.000Z' }

/** A daemon end: says hello (unless told not to) and records the requests it gets. */
async function daemonEnd(channel: MemoryControlChannel, o: { hello?: boolean; pipelines?: Record<string, PipelineLive> } = {}) {
  const connections: Connection[] = []
  const requests: { id: number; op: string }[] = []
  await channel.listen((connection) => {
    connections.push(connection)
    if (o.hello !== false) send(connection, { type: 'hello', ...INFO, pipelines: o.pipelines ?? { a: LIVE } })
    void (async () => {
      for await (const line of connection.messages) requests.push(JSON.parse(line))
    })()
  })
  return { connections, requests, send: (message: Message) => connections.forEach((c) => send(c, message)) }
}

const send = (connection: Connection, message: Message) => connection.send(JSON.stringify(message))

describe('state', () => {
  it('keeps every pipeline\'s state from the hello, then from each push, and says what changed', async () => {
    const channel = createMemoryChannel()
    const daemon = await daemonEnd(channel)
    const link = createDaemonLink(channel)
    const changes: (string | null)[] = []
    link.onChange((name) => changes.push(name))
    expect(await link.connect()).toBe(true)
    expect(link.daemon()).toEqual(INFO)
    expect(link.live('a')).toEqual(LIVE)
    daemon.send({ type: 'pipeline', name: 'b', live: { ...LIVE, instance_id: 'inst-b' } })
    await waitFor(() => link.running().length === 2)
    daemon.send({ type: 'pipeline', name: 'a', live: null })
    await waitFor(() => link.running().length === 1)
    expect(link.running()).toEqual(['b'])
    expect(link.live('a')).toBeNull()
    expect(changes).toEqual([null, 'b', 'a'])
    link.close()
  })

  it('ignores lines that are not messages of the protocol - garbage from the daemon', async () => {
    const channel = createMemoryChannel()
    const daemon = await daemonEnd(channel)
    const link = createDaemonLink(channel)
    await link.connect()
    daemon.connections[0]!.send('not json')
    daemon.connections[0]!.send(JSON.stringify({ type: 'pipeline', name: 'a' }))
    daemon.send({ type: 'pipeline', name: 'c', live: LIVE })
    await waitFor(() => link.live('c'))
    expect(link.running()).toEqual(['a', 'c'])
    link.close()
  })
})

describe('connect', () => {
  it('is false, and asks the channel again only after 250 ms unless forced - nobody listens', async () => {
    const channel = createMemoryChannel()
    let attempts = 0
    const counted = { listen: channel.listen, connect: () => (attempts++, channel.connect()) }
    let now = 1_000
    const link = createDaemonLink(counted, () => now)
    expect(await link.connect()).toBe(false)
    now += 249
    expect(await link.connect()).toBe(false)
    expect(attempts).toBe(1)
    expect(await link.connect(true)).toBe(false)
    expect(attempts).toBe(2)
    now += 250
    expect(await link.connect()).toBe(false)
    expect(attempts).toBe(3)
  })

  it('is false and hangs up after 5 s - a process that accepts but never says hello', async () => {
    vi.useFakeTimers()
    const channel = createMemoryChannel()
    const silent = await daemonEnd(channel, { hello: false })
    const link = createDaemonLink(channel)
    const connecting = link.connect()
    await vi.advanceTimersByTimeAsync(4_999)
    expect(link.daemon()).toBeNull()
    await vi.advanceTimersByTimeAsync(1)
    expect(await connecting).toBe(false)
    const ended = (async () => {
      for await (const _ of silent.connections[0]!.messages) void _
      return true
    })()
    expect(await ended).toBe(true)
  })
})

describe('requests', () => {
  it('matches each reply to its request by id - two requests answered in the other order', async () => {
    const channel = createMemoryChannel()
    const daemon = await daemonEnd(channel)
    const link = createDaemonLink(channel)
    await link.connect()
    const run = link.ask({ op: 'run', pipeline: 'a' }, 5000)
    const pause = link.ask({ op: 'pause', pipeline: 'a' }, 5000)
    await waitFor(() => daemon.requests.length === 2)
    const [r, p] = daemon.requests
    expect([r!.op, p!.op]).toEqual(['run', 'pause'])
    daemon.send({ type: 'reply', id: p!.id, ok: false, refusal: 'paused', detail: 'The pipeline is already paused' })
    daemon.send({ type: 'reply', id: r!.id, ok: true, run_id: 'r1' })
    expect(await run).toEqual({ type: 'reply', id: r!.id, ok: true, run_id: 'r1' })
    expect(await pause).toMatchObject({ ok: false, refusal: 'paused' })
    link.close()
  })

  it('answers null after the timeout - a daemon that does not reply', async () => {
    const channel = createMemoryChannel()
    await daemonEnd(channel)
    const link = createDaemonLink(channel)
    await link.connect()
    expect(await link.ask({ op: 'run', pipeline: 'a' }, 20)).toBeNull()
    link.close()
  })

  it('answers null at once - not connected', async () => {
    const link = createDaemonLink(createMemoryChannel())
    expect(await link.ask({ op: 'run', pipeline: 'a' }, 60_000)).toBeNull()
  })
})

describe('the daemon goes away', () => {
  it('answers null to every pending request, forgets the state and calls onDown once with the daemon', async () => {
    const channel = createMemoryChannel()
    const daemon = await daemonEnd(channel)
    const link = createDaemonLink(channel)
    const down: DaemonInfo[] = []
    link.onDown((info) => down.push(info))
    await link.connect()
    const pending = link.ask({ op: 'stop', pipeline: 'a', mode: 'cancel' }, 60_000)
    daemon.connections[0]!.close()
    expect(await pending).toBeNull()
    expect(down).toEqual([INFO])
    expect(link.daemon()).toBeNull()
    expect(link.running()).toEqual([])
  })

  it('does not call onDown - the server closed the link itself', async () => {
    const channel = createMemoryChannel()
    await daemonEnd(channel)
    const link = createDaemonLink(channel)
    const down: DaemonInfo[] = []
    link.onDown((info) => down.push(info))
    await link.connect()
    link.close()
    await waitFor(() => link.daemon() === null)
    expect(down).toEqual([])
  })
})
