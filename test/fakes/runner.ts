import type { ProcessRunner, Signal, SpawnedProcess, SpawnRequest } from '../../src/ports.js'
import { INSTANCE_ENV } from '../../src/ports.js'
import type { FakeProcessTable } from './process-table.js'

/** What one fake step process does. Times are milliseconds after spawn (setTimeout, so fake timers drive them). */
export interface FakeScript {
  /** Output chunks in order; a chunk without `atMs` comes right after the previous one. */
  output?: Array<{ text: string; stream?: 'stdout' | 'stderr'; atMs?: number }>
  /** Default 0. */
  exitCode?: number
  /** Ends on its own by this signal (e.g. a crash: SIGSEGV) instead of an exit code. */
  exitSignal?: string
  /** When the process exits on its own (after its output). Default: right after the output. */
  exitAfterMs?: number
  /** Never exits on its own: only a signal ends it. */
  hang?: boolean
  /** SIGTERM is ignored; only SIGKILL ends it. */
  ignoreSigterm?: boolean
  /** The command could not start: `exited` settles with this error (as ENOENT does). */
  startError?: string
  /** `spawn` itself throws this message. */
  spawnThrows?: string
  /** Leaves a background process carrying the instance marker behind (needs a process table). */
  leaveChild?: boolean
}

export interface SpawnedRecord {
  req: SpawnRequest
  /** `/bin/sh -c X` gives X; an argv array gives its words joined by spaces. */
  command: string
  pid: number
  signals: Signal[]
  result: { exitCode: number | null; signal: string | null; error?: string } | null
}

export type FakeRunner = ProcessRunner & { readonly spawned: SpawnedRecord[] }

/** The command a request runs, as scripts are keyed. */
export function commandOf(req: SpawnRequest): string {
  const [a, b, c] = req.argv
  return a === '/bin/sh' && b === '-c' && c !== undefined ? c : req.argv.join(' ')
}

/**
 * Scripted fake processes. `scripts` maps a command (see `commandOf`) to its script, or is a
 * function of the request; an unknown command exits 0 with no output.
 */
export function createFakeRunner(
  scripts: Record<string, FakeScript> | ((req: SpawnRequest) => FakeScript) = {},
  o: { table?: FakeProcessTable } = {},
): FakeRunner {
  const spawned: SpawnedRecord[] = []
  let nextPid = 7000
  const scriptFor = (req: SpawnRequest) => (typeof scripts === 'function' ? scripts(req) : (scripts[commandOf(req)] ?? {}))

  const runner: ProcessRunner = {
    spawn(req, onOutput): SpawnedProcess {
      const script = scriptFor(req)
      if (script.spawnThrows) throw new Error(script.spawnThrows)
      const tag = req.env[INSTANCE_ENV] ?? null
      const proc = o.table?.spawn({ tag, onSignal: (s) => onSignal(s) })
      const pid = proc?.pid ?? nextPid++
      const record: SpawnedRecord = { req, command: commandOf(req), pid, signals: [], result: null }
      spawned.push(record)

      let settle!: (r: NonNullable<SpawnedRecord['result']>) => void
      const exited = new Promise<NonNullable<SpawnedRecord['result']>>((r) => (settle = r))
      const finish = (result: NonNullable<SpawnedRecord['result']>) => {
        if (record.result) return
        record.result = result
        proc?.exit(result.exitCode, (result.signal as Signal | null) ?? null)
        if (script.leaveChild && o.table) o.table.spawn({ tag })
        settle(result)
      }
      const onSignal = (signal: Signal) => {
        if (record.result) return
        if (signal === 'SIGTERM' && script.ignoreSigterm) return
        finish({ exitCode: null, signal })
      }
      // A table process killed through the table (SIGKILL) ends the fake too.
      void proc?.exited.then((e) => e.signal && finish({ exitCode: null, signal: e.signal }))

      void play(script, onOutput, () => !!record.result).then(() => {
        if (script.startError) finish({ exitCode: null, signal: null, error: script.startError })
        else if (script.exitSignal) finish({ exitCode: null, signal: script.exitSignal })
        else if (!script.hang) finish({ exitCode: script.exitCode ?? 0, signal: null })
      })

      return {
        pid,
        exited,
        killGroup(signal) {
          record.signals.push(signal)
          onSignal(signal)
        },
      }
    },
  }
  return Object.assign(runner, { spawned })
}

async function play(script: FakeScript, onOutput: (text: string, stream: 'stdout' | 'stderr') => void, ended: () => boolean) {
  let elapsed = 0
  // A real process never writes before spawn returns.
  await Promise.resolve()
  if (script.startError) return
  for (const chunk of script.output ?? []) {
    if (chunk.atMs !== undefined && chunk.atMs > elapsed) {
      await sleep(chunk.atMs - elapsed)
      elapsed = chunk.atMs
    }
    if (ended()) return
    onOutput(chunk.text, chunk.stream ?? 'stdout')
  }
  if (script.exitAfterMs !== undefined && script.exitAfterMs > elapsed) await sleep(script.exitAfterMs - elapsed)
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))
