/**
 * The daemon (src/daemon/supervisor.ts) at its protocol boundary: launched on a memory machine
 * with the real schedulers, asked over the memory control channel as an API server asks it.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { daemonClaimPath, statePath } from '../../adapters/posix/state-paths.js'
import type { Ask } from '../../src/control/daemon-link.js'
import { homeOf } from '../../src/control/homes.js'
import type { DaemonSettings, DesiredState, Message, PipelineStateFile, Reply } from '../../src/daemon/protocol.js'
import { daemonClaimSchema, decode, desiredStateSchema, messageSchema, pipelineStateFileSchema } from '../../src/daemon/protocol.js'
import type { Pipeline } from '../../src/pipeline.js'
import type { ControlChannel } from '../../src/ports.js'
import { memoryDaemon, type MemoryDaemonOptions } from '../fakes/daemon.js'
import { createFakeLauncher } from '../fakes/launcher.js'
import { createMemoryMachine, killAll, type MemoryMachine } from '../fakes/machine.js'
import { leftState, runningRecord } from '../fakes/records.js'
import type { FakeScript } from '../fakes/runner.js'
import { waitFor } from '../helpers/wait.js'

const PIPELINES: Record<string, Pipeline> = {
  a: { name: 'a', steps: [{ name: 'work', run: 'work-a' }] },
  b: { name: 'b', steps: [{ name: 'work', run: 'work-b' }] },
}

const SETTINGS: DaemonSettings = {
  instance_id: 'daemon-1',
  runtime: 'memory',
  state_dir: '/state',
  log_max_bytes: 1_000_000,
  log_keep: 5,
  grace_ms: 50,
  runs_keep: 100,
  drain_timeout_ms: 60_000,
}

let machines: MemoryMachine[] = []
afterEach(async () => {
  await Promise.all(machines.map(killAll))
  machines = []
})

function setup(o: { scripts?: Record<string, FakeScript>; daemon?: MemoryDaemonOptions } = {}) {
  const machine = createMemoryMachine({ pipelines: PIPELINES, scripts: o.scripts })
  machines.push(machine)
  const launcher = createFakeLauncher(machine.table, memoryDaemon(machine, { idleExitMs: 60_000, ...o.daemon }), { registry: machine.launches })
  const launch = (instanceId = 'daemon-1') => launcher.launch({ ...SETTINGS, instance_id: instanceId })
  const desired = (name: string, patch: Partial<DesiredState> = {}): DesiredState => ({
    state: 'started',
    home: homeOf(name, machine.fileOf(name), machine.layout),
    schedule: { type: 'interval', interval_seconds: 60 },
    run_immediately: true,
    anchor: new Date().toISOString(),
    paused: false,
    updated_at: new Date().toISOString(),
    ...patch,
  })
  const claim = machine.disk.jsonFile(daemonClaimPath('/state'), daemonClaimSchema)
  const stateOf = (name: string) => machine.disk.jsonFile(statePath(homeOf(name, machine.fileOf(name), machine.layout).dir), pipelineStateFileSchema)
  const logOf = (name: string) => machine.logFile(homeOf(name, machine.fileOf(name), machine.layout).log_file)
  const stepsOf = (command: string) => machine.runner.spawned.filter((p) => p.command === command)
  return { machine, table: machine.table, launcher, launch, desired, claim, stateOf, logOf, stepsOf }
}

/** An API server's raw end of the channel: every message it got, and requests answered by id. */
async function connect(channel: ControlChannel) {
  const connection = await waitFor(() => channel.connect(), { what: 'the daemon to listen' })
  const messages: Message[] = []
  let ended = false
  void (async () => {
    for await (const line of connection.messages) {
      const message = decode(messageSchema, line)
      if (message) messages.push(message)
    }
    ended = true
  })()
  let nextId = 100
  return {
    messages,
    ended: () => ended,
    close: () => connection.close(),
    hello: () => waitFor(() => messages.find((m): m is Extract<Message, { type: 'hello' }> => m.type === 'hello'), { what: 'hello' }),
    send(request: Ask): number {
      const id = nextId++
      connection.send(JSON.stringify({ ...request, id }))
      return id
    },
    reply: (id: number) => waitFor(() => messages.find((m): m is Reply => m.type === 'reply' && m.id === id), { what: `reply ${id}` }),
    async ask(request: Ask): Promise<Reply> {
      return this.reply(this.send(request))
    },
  }
}

describe('several pipelines', () => {
  it('runs two pipelines at once, each step tree with its own marker - a and b started', async () => {
    const t = setup({ scripts: { 'work-a': { hang: true }, 'work-b': { hang: true } } })
    await t.launch()
    const api = await connect(t.machine.channel)
    expect(await api.ask({ op: 'start', desired: t.desired('a') })).toMatchObject({ ok: true })
    expect(await api.ask({ op: 'start', desired: t.desired('b') })).toMatchObject({ ok: true })
    const [a, b] = [await waitFor(() => t.stepsOf('work-a')[0]), await waitFor(() => t.stepsOf('work-b')[0])]
    const { pipelines } = await (await connect(t.machine.channel)).hello()
    expect(Object.keys(pipelines).sort()).toEqual(['a', 'b'])
    expect(a.req.env).toMatchObject({ PIPELINE_CRON_INSTANCE: pipelines.a!.instance_id, PIPELINE_CRON_PIPELINE: 'a' })
    expect(b.req.env).toMatchObject({ PIPELINE_CRON_INSTANCE: pipelines.b!.instance_id, PIPELINE_CRON_PIPELINE: 'b' })
    expect(pipelines.a!.instance_id).not.toBe(pipelines.b!.instance_id)
  })

  it('stops one pipeline and never touches the other - a stopped while b runs', async () => {
    const t = setup({ scripts: { 'work-a': { hang: true }, 'work-b': { hang: true } } })
    const daemon = await t.launch()
    const api = await connect(t.machine.channel)
    await api.ask({ op: 'start', desired: t.desired('a') })
    await api.ask({ op: 'start', desired: t.desired('b') })
    const b = await waitFor(() => t.stepsOf('work-b')[0])
    expect(await api.ask({ op: 'stop', pipeline: 'a', mode: 'cancel' })).toEqual({ type: 'reply', id: expect.any(Number), ok: true, survivors: [] })
    expect(t.stepsOf('work-a')[0]!.signals).toEqual(['SIGTERM'])
    expect(api.messages).toContainEqual({ type: 'pipeline', name: 'a', live: null })
    expect(b.signals).toEqual([])
    expect(t.table.isAlive(b.pid)).toBe(true)
    expect((await t.stateOf('a').read()).value).toBeNull()
    expect((await t.stateOf('b').read()).value).toMatchObject({ pid: daemon.pid, current_run: { step: 'work' } })
    expect(Object.keys((await (await connect(t.machine.channel)).hello()).pipelines)).toEqual(['b'])
    expect(t.table.isAlive(daemon.pid)).toBe(true)
  })

  it('answers another pipeline at once while one pipeline\'s stop waits for its run - drain of a, run-now of b', async () => {
    const t = setup({ scripts: { 'work-a': { exitAfterMs: 300 } } })
    await t.launch()
    const api = await connect(t.machine.channel)
    await api.ask({ op: 'start', desired: t.desired('a') })
    await api.ask({ op: 'start', desired: t.desired('b', { run_immediately: false }) })
    await waitFor(() => t.stepsOf('work-a')[0])
    const stopA = api.send({ op: 'stop', pipeline: 'a', mode: 'drain' })
    const pauseA = api.send({ op: 'pause', pipeline: 'a' })
    expect(await api.ask({ op: 'run', pipeline: 'b' })).toMatchObject({ ok: true, run_id: expect.any(String) })
    expect(api.messages.some((m) => m.type === 'reply' && (m.id === stopA || m.id === pauseA))).toBe(false)
    // Requests for one pipeline are answered in order: the pause waits for the stop, then finds nothing to pause.
    expect(await api.reply(pauseA)).toMatchObject({ ok: false, refusal: 'not_running' })
    const order = api.messages.filter((m): m is Reply => m.type === 'reply').map((m) => m.id)
    expect(order.indexOf(stopA)).toBeLessThan(order.indexOf(pauseA))
    expect(t.stepsOf('work-a')[0]!.signals).toEqual([])
  })
})

describe('requests', () => {
  it('refuses with already_running and not_running - start of a running pipeline, requests for a stopped one', async () => {
    const t = setup()
    const daemon = await t.launch()
    const api = await connect(t.machine.channel)
    await api.ask({ op: 'start', desired: t.desired('a', { run_immediately: false }) })
    expect(await api.ask({ op: 'start', desired: t.desired('a') })).toMatchObject({ ok: false, refusal: 'already_running', detail: `Daemon is already running (PID: ${daemon.pid})` })
    for (const request of [{ op: 'stop', pipeline: 'b', mode: 'cancel' }, { op: 'run', pipeline: 'b' }, { op: 'pause', pipeline: 'b' }, { op: 'resume', pipeline: 'b' }] as Ask[]) {
      expect(await api.ask(request)).toMatchObject({ ok: false, refusal: 'not_running', detail: 'Daemon is not running' })
    }
    expect(t.machine.runner.spawned).toEqual([])
  })

  it('refuses with failed and the file\'s error, then exits with nothing to run - the pipeline file is missing', async () => {
    const t = setup()
    const daemon = await t.launch()
    t.machine.pipelineFiles.delete(t.machine.fileOf('a'))
    const api = await connect(t.machine.channel)
    expect(await api.ask({ op: 'start', desired: t.desired('a') })).toMatchObject({ ok: false, refusal: 'failed', detail: '/srv/pipelines/a.json: cannot read the pipeline file (ENOENT)' })
    expect(await daemon.exited).toEqual({ code: 0, stderr: '' })
  })

  it('answers pause, run-now and resume of a running pipeline, and pushes each change', async () => {
    const t = setup()
    await t.launch()
    const api = await connect(t.machine.channel)
    await api.ask({ op: 'start', desired: t.desired('a', { run_immediately: false }) })
    expect(await api.ask({ op: 'pause', pipeline: 'a' })).toMatchObject({ ok: true })
    expect(api.messages.at(-2)).toMatchObject({ type: 'pipeline', name: 'a', live: { paused: true } })
    expect(await api.ask({ op: 'pause', pipeline: 'a' })).toMatchObject({ ok: false, refusal: 'paused' })
    const run = await api.ask({ op: 'run', pipeline: 'a' })
    expect(run).toMatchObject({ ok: true, run_id: expect.any(String) })
    expect(await api.ask({ op: 'resume', pipeline: 'a' })).toMatchObject({ ok: true })
    expect(await api.ask({ op: 'resume', pipeline: 'a' })).toMatchObject({ ok: false, refusal: 'not_paused' })
    const pushes = api.messages.filter((m) => m.type === 'pipeline')
    expect(pushes.some((m) => m.type === 'pipeline' && m.live?.current_run?.id === (run.ok && run.run_id))).toBe(true)
  })

  it('ignores lines that are not requests and keeps answering - garbage on the channel', async () => {
    const t = setup()
    await t.launch()
    const connection = await waitFor(() => t.machine.channel.connect())
    connection.send('not json')
    connection.send(JSON.stringify({ id: 1, op: 'format-disk' }))
    connection.send(JSON.stringify({ id: 2, op: 'hello' }))
    const lines: string[] = []
    for await (const line of connection.messages) {
      lines.push(line)
      if (lines.length === 2) break
    }
    expect(lines.map((l) => JSON.parse(l).type)).toEqual(['hello', 'reply'])
    expect(JSON.parse(lines[1]!)).toEqual({ type: 'reply', id: 2, ok: true })
  })
})

describe('connections', () => {
  it('sends each server a hello with every pipeline, then pushes every change to all of them - two servers connected', async () => {
    const t = setup()
    const daemon = await t.launch()
    const one = await connect(t.machine.channel)
    const two = await connect(t.machine.channel)
    for (const api of [one, two]) {
      expect(await api.hello()).toEqual({ type: 'hello', pid: daemon.pid, instance_id: 'daemon-1', runtime: 'memory', started_at: expect.any(String), pipelines: {} })
    }
    const start = await one.ask({ op: 'start', desired: t.desired('a', { run_immediately: false }) })
    expect(start.ok).toBe(true)
    await waitFor(() => two.messages.some((m) => m.type === 'pipeline' && m.name === 'a'))
    expect(two.messages.find((m) => m.type === 'pipeline')).toMatchObject({ name: 'a', live: { schedule: { type: 'interval', interval_seconds: 60 }, paused: false, stopping: null } })
    // The reply goes only to the server that asked.
    expect(two.messages.filter((m) => m.type === 'reply')).toEqual([])
    expect((await (await connect(t.machine.channel)).hello()).pipelines.a).toMatchObject({ next_run_at: expect.any(String) })
  })
})

describe('lifetime', () => {
  it('exits once the last pipeline stops, removing its claim and its socket', async () => {
    const t = setup()
    const daemon = await t.launch()
    const api = await connect(t.machine.channel)
    await api.ask({ op: 'start', desired: t.desired('a') })
    expect((await api.ask({ op: 'stop', pipeline: 'a', mode: 'cancel' })).ok).toBe(true)
    expect(await daemon.exited).toEqual({ code: 0, stderr: '' })
    expect(await t.claim.read()).toEqual({ value: null })
    expect(await t.machine.channel.connect()).toBeNull()
    await waitFor(() => api.ended(), { what: 'the connection to end' })
  })

  it('exits after the idle time - launched with nothing to run', async () => {
    const t = setup({ daemon: { idleExitMs: 30 } })
    const daemon = await t.launch()
    expect(await daemon.exited).toEqual({ code: 0, stderr: '' })
    expect(await t.claim.read()).toEqual({ value: null })
  })

  it('stops every pipeline on SIGTERM and exits, leaving what should run as it was - host shutdown', async () => {
    const t = setup({ scripts: { 'work-a': { hang: true } } })
    const daemon = await t.launch()
    const api = await connect(t.machine.channel)
    const a = t.desired('a')
    await t.machine.disk.jsonFile('/state/pipelines/a/desired.json', desiredStateSchema).write(a)
    await api.ask({ op: 'start', desired: a })
    await api.ask({ op: 'start', desired: t.desired('b', { run_immediately: false }) })
    const step = await waitFor(() => t.stepsOf('work-a')[0])
    t.table.procs.signal(daemon.pid, 'SIGTERM')
    expect((await daemon.exited).code).toBe(0)
    expect(step.signals).toEqual(['SIGTERM'])
    expect((await t.machine.disk.jsonFile('/state/pipelines/a/desired.json', desiredStateSchema).read()).value).toEqual(a)
    expect(t.logOf('a').text).toMatch(/\] Daemon stopped \(PID: \d+, SIGTERM\)\n$/)
    expect(t.logOf('b').text).toMatch(/\] Daemon stopped \(PID: \d+, SIGTERM\)\n$/)
    expect((await daemon.exited).stderr).toMatch(/\] shutting down: SIGTERM\n$/)
  })
})

describe('the state dir claim', () => {
  it('exits 1 and changes nothing - a second daemon launched while the first runs', async () => {
    const t = setup()
    const first = await t.launch('daemon-1')
    const api = await connect(t.machine.channel)
    await api.ask({ op: 'start', desired: t.desired('a', { run_immediately: false }) })
    const second = await t.launch('daemon-2')
    expect(await second.exited).toEqual({ code: 1, stderr: 'another daemon already holds this state dir\n' })
    expect((await t.claim.read()).value).toMatchObject({ pid: first.pid, instance_id: 'daemon-1' })
    expect(await (await connect(t.machine.channel)).hello()).toMatchObject({ pid: first.pid, pipelines: { a: expect.any(Object) } })
    expect(t.table.signals).toEqual([])
  })

  it('takes over the claim a dead daemon left, never signalling its pid - daemon.json of a crashed daemon', async () => {
    const t = setup()
    const dead = t.table.spawn({ instanceId: 'daemon-0' })
    dead.exit(null, 'SIGKILL')
    await t.claim.write({ pid: dead.pid, instance_id: 'daemon-0', runtime: 'memory', started_at: '2025-12-26T10:00:00.000Z' })
    const daemon = await t.launch()
    await connect(t.machine.channel)
    expect((await t.claim.read()).value).toMatchObject({ pid: daemon.pid, instance_id: 'daemon-1' })
    expect(t.table.signals).toEqual([])
  })

  it('claims daemon.json again when it is removed, and says so', async () => {
    const t = setup({ daemon: { watchMs: 10 } })
    const daemon = await t.launch()
    await connect(t.machine.channel)
    await t.claim.remove()
    await waitFor(async () => (await t.claim.read()).value?.pid === daemon.pid, { what: 'the claim to come back' })
    expect(t.machine.launches[0]!.stderr()).toMatch(/\] daemon\.json was removed; claimed it again\n$/)
  })

  it('listens again when its socket is removed, and says so', async () => {
    const t = setup({ daemon: { watchMs: 10 } })
    const daemon = await t.launch()
    await connect(t.machine.channel)
    t.machine.channel.unlink()
    expect(await t.machine.channel.connect()).toBeNull()
    expect((await (await connect(t.machine.channel)).hello()).pid).toBe(daemon.pid)
    expect(t.machine.launches[0]!.stderr()).toMatch(/\] the control socket was removed; listening again\n$/)
  })

  it('stops its pipelines and exits, leaving the other\'s claim - another daemon claimed the state dir', async () => {
    const t = setup({ daemon: { watchMs: 10 }, scripts: { 'work-a': { hang: true } } })
    const daemon = await t.launch()
    const api = await connect(t.machine.channel)
    await api.ask({ op: 'start', desired: t.desired('a') })
    const step = await waitFor(() => t.stepsOf('work-a')[0])
    const other = { pid: 31337, instance_id: 'daemon-2', runtime: 'memory', started_at: new Date().toISOString() }
    await t.claim.write(other)
    expect((await daemon.exited).code).toBe(0)
    expect(step.signals).toEqual(['SIGTERM'])
    expect((await t.claim.read()).value).toEqual(other)
    expect((await daemon.exited).stderr).toContain('shutting down: another daemon (PID: 31337) claimed the state dir')
  })
})

describe('start after a crash', () => {
  it('resumes every started pipeline on its grid, after cleaning what the dead daemon left - restart', async () => {
    const t = setup()
    const anchor = new Date(Date.now() - 25_000).toISOString()
    const a = t.desired('a', { anchor })
    await t.machine.disk.jsonFile('/state/pipelines/a/desired.json', desiredStateSchema).write(a)
    await t.machine.disk.jsonFile('/state/pipelines/b/desired.json', desiredStateSchema).write(t.desired('b', { state: 'stopped' }))
    // What the dead daemon left of a: its state file, a step running on as an orphan, a run recorded `running`.
    const dead = t.table.spawn({ instanceId: 'daemon-0' })
    dead.exit(null, 'SIGKILL')
    const orphan = t.table.spawn({ tag: 'old-a' })
    await t.stateOf('a').write(leftStateOf(dead.pid, 'daemon-0', 'old-a', a))
    t.machine.runRecords('/state/pipelines/a').push(runningRecord('r-old', 'old-a', new Date(Date.now() - 5000).toISOString()))

    const daemon = await t.launch()
    const { pipelines } = await (await connect(t.machine.channel)).hello()
    expect(Object.keys(pipelines)).toEqual(['a'])
    expect(pipelines.a).toMatchObject({ anchor, schedule: a.schedule, current_run: null })
    expect(Date.parse(pipelines.a!.next_run_at!)).toBe(Date.parse(anchor) + 60_000)
    expect(t.table.signalsTo(orphan.pid)).toEqual(['SIGSTOP', 'SIGKILL'])
    expect(t.table.signalsTo(dead.pid)).toEqual([])
    expect(t.machine.runRecords('/state/pipelines/a').at(-1)).toMatchObject({ id: 'r-old', status: 'abandoned', reason: 'the daemon died during the run' })
    expect((await t.stateOf('a').read()).value).toMatchObject({ pid: daemon.pid, daemon_instance: 'daemon-1', instance_id: pipelines.a!.instance_id })
    expect(t.logOf('a').text).toMatch(/\] Daemon resumed after restart \(PID: \d+, interval: 60 seconds, pipeline: a, 1 step\)\n$/)
    expect(t.machine.runner.spawned).toEqual([])
  })
})

describe('resume from desired.json', () => {
  it('runs the pipeline desired.json carries, not its file - a file removed since the start', async () => {
    const t = setup()
    const gone: Pipeline = { name: 'gone', steps: [{ name: 'work', run: 'work-a' }] }
    await t.machine.disk.jsonFile('/state/pipelines/gone/desired.json', desiredStateSchema).write(t.desired('gone', { run_immediately: false, pipeline: gone }))
    await t.launch()
    const { pipelines } = await (await connect(t.machine.channel)).hello()
    expect(Object.keys(pipelines)).toEqual(['gone'])
    expect(t.logOf('gone').text).toMatch(/Daemon resumed after restart \(PID: \d+, interval: 60 seconds, pipeline: gone, 1 step\)\n$/)
  })

  it('says in the pipeline\'s own log why it could not resume it, and runs the others - an older desired.json without the pipeline, its file removed', async () => {
    const t = setup()
    await t.machine.disk.jsonFile('/state/pipelines/gone/desired.json', desiredStateSchema).write(t.desired('gone', { run_immediately: false }))
    await t.machine.disk.jsonFile('/state/pipelines/a/desired.json', desiredStateSchema).write(t.desired('a', { run_immediately: false }))
    await t.launch()
    const { pipelines } = await (await connect(t.machine.channel)).hello()
    expect(Object.keys(pipelines)).toEqual(['a'])
    expect(t.logOf('gone').text).toMatch(/\] Could not resume the pipeline after a restart: \/srv\/pipelines\/gone\.json: cannot read the pipeline file \(ENOENT\)\. It is not running; .*stop it to drop it\.\n$/)
    expect(t.launcher.launches[0]!.stderr()).toContain('could not resume gone: /srv/pipelines/gone.json: cannot read the pipeline file (ENOENT)')
  })
})

/** The state file a dead daemon left for the pipeline `desired` describes. */
function leftStateOf(pid: number, daemonInstance: string, instanceId: string, desired: DesiredState): PipelineStateFile {
  const { anchor, schedule, run_immediately } = desired
  return leftState(pid, daemonInstance, instanceId, { started_at: anchor, anchor, schedule, next_run_at: null, run_immediately, pipeline_file: desired.home.file })
}
