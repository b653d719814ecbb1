/**
 * The ports: small interfaces the core declares and each runtime adapter fills in.
 * Plain types only, so Node, Bun, in-memory fakes (and later a distributed backend) fit.
 */
import type { Schedule } from './schedule.js'
import type { DaemonSettings } from './daemon/protocol.js'
import type { DaemonStatus, RunRecord } from './schemas.js'

export type { Schedule } from './schedule.js'
export type { CurrentRun, DaemonStatus, LastRun, RunRecord, RunStatus, StepRecord } from './schemas.js'

// ---------------------------------------------------------------------------------------------
// Ports the HTTP app talks to.
// ---------------------------------------------------------------------------------------------

export interface StartRequest {
  schedule: Schedule
  runImmediately: boolean
}

/** `pid` is the daemon's; null in cluster mode, where no single process runs the schedule. */
export type StartResult = { ok: true; pid: number | null } | { ok: false; reason: 'already_running'; pid: number | null }

export type StopMode = 'cancel' | 'drain'

export type StopResult =
  | { ok: true; pid: number | null; survivors: number[]; forced: boolean }
  | { ok: false; reason: 'not_running' }

export type RunNowResult =
  | { ok: true; runId: string }
  | { ok: false; reason: 'not_running' | 'busy'; detail: string }

export type PauseResult = { ok: true } | { ok: false; reason: 'not_running' | 'conflict'; detail: string }

/** Starts, stops, pauses and inspects one pipeline's schedule. Start and stop are serialised across processes. */
export interface CronController {
  start(req: StartRequest): Promise<StartResult>
  stop(mode: StopMode): Promise<StopResult>
  status(): Promise<DaemonStatus>
  /** Starts a run now; resolves with its id once it has started. */
  runNow(): Promise<RunNowResult>
  pause(): Promise<PauseResult>
  resume(): Promise<PauseResult>
}

/** Reads and clears the pipeline log. */
export interface LogStore {
  /** The last `lines` lines of the current log file, each ending in "\n" as written. */
  tail(lines: number): Promise<string>
  /**
   * The same text as `tail`, in chunks of whole lines (about 64 KiB each), read as they are
   * consumed: a large answer never sits in memory in one piece.
   */
  readLast(lines: number): AsyncIterable<string>
  /** The whole current log file, in chunks that may split lines but never characters. */
  readAll(): AsyncIterable<string>
  /** Empties the log (the daemon keeps appending, from offset 0). */
  clear(): Promise<void>
  /** Appends whole lines (already formatted) to the log, e.g. audit lines from the API. */
  append(text: string): Promise<void>
  /**
   * The last `lines` lines, then every new line as it is written, until `signal` aborts.
   * The history comes first, in one or more `lines` events; the first is always sent (its
   * `lines` may be empty): once it arrives the subscription is live. Survives rotation; a clear
   * arrives as `{ type: 'clear' }`. A consumer that falls more than MAX_QUEUED_BYTES behind
   * loses the lines queued for it and gets `{ type: 'missed', lines }` (see follow-queue.ts).
   */
  follow(lines: number, signal: AbortSignal): AsyncIterable<LogEvent>
  /** Every retained log file, oldest first (`.N` … `.1`, then the current file), as text chunks. */
  readRetained(): AsyncIterable<string>
}

export type LogEvent = { type: 'lines'; lines: string[] } | { type: 'clear' } | { type: 'missed'; lines: number }

/** The run records, oldest first on disk; readers see the newest record per id. */
export interface RunHistory {
  append(run: RunRecord): Promise<void>
  /** Newest first. */
  list(limit: number): Promise<RunRecord[]>
  get(id: string): Promise<RunRecord | null>
}

// ---------------------------------------------------------------------------------------------
// Primitives the controller and the daemon are built on.
// ---------------------------------------------------------------------------------------------

export class LockTimeoutError extends Error {
  constructor(message = 'another start or stop is in progress; try again') {
    super(message)
    this.name = 'LockTimeoutError'
  }
}

export type Signal = 'SIGTERM' | 'SIGKILL' | 'SIGSTOP' | 'SIGINT'

/** Process-table access. Nothing here signals a pid that was not checked by the caller. */
export interface ProcessControl {
  /** `ours` only when pid is alive and carries our instance id; `gone` for dead or zombie. */
  identify(pid: number, instanceId: string): Promise<'ours' | 'foreign' | 'gone'>
  /** Sends a signal; false when the process (or group) does not exist. */
  signal(pid: number, signal: Signal): boolean
  signalGroup(pgid: number, signal: Signal): boolean
  /**
   * Live processes whose environment carries our instance marker (the whole daemon tree),
   * including, as far as it can, those born while it scanned.
   */
  findTagged(instanceId: string): Promise<number[]>
}

export { INSTANCE_ENV, RESERVED_ENV_PREFIX } from './env-names.js'

export interface LaunchedDaemon {
  pid: number
  /** Settles when the daemon process exits, with what it printed on stderr (its start-up error). */
  exited: Promise<{ code: number | null; stderr: string }>
}

/** Spawns the daemon detached (its own session), so it outlives the API server. */
export interface DaemonLauncher {
  launch(settings: DaemonSettings): Promise<LaunchedDaemon>
}

export interface SpawnRequest {
  argv: string[]
  cwd: string
  env: Record<string, string>
}

export interface SpawnedProcess {
  pid: number
  /** Settles once the process has exited and its output has been delivered. */
  exited: Promise<{ exitCode: number | null; signal: string | null; error?: string }>
  /** Signals the process group the child leads (each step runs in its own group). */
  killGroup(signal: Signal): void
}

/** Spawns one step in its own process group, delivering its output as text. */
export interface ProcessRunner {
  spawn(req: SpawnRequest, onOutput: (text: string, stream: 'stdout' | 'stderr') => void): SpawnedProcess
}

/** The daemon's side of the log: appends and rotates. Synchronous so lines keep their order. */
export interface LogWriter {
  append(text: string): void
  close(): void
}

// ---------------------------------------------------------------------------------------------
// The control channel between the API server and the daemon, and what they keep on disk.
// ---------------------------------------------------------------------------------------------

/** One connection carrying JSON messages, one per line. */
export interface Connection {
  send(message: string): void
  close(): void
  /** The messages as they arrive; ends when the connection closes. */
  readonly messages: AsyncIterable<string>
}

export interface Listener {
  close(): Promise<void>
  /** Binds again when the socket's path no longer names our socket (someone removed it). */
  rebindIfLost(): Promise<boolean>
}

/** The daemon listens, API servers connect (a Unix socket in STATE_DIR). */
export interface ControlChannel {
  listen(onConnection: (connection: Connection) => void): Promise<Listener>
  /** A connection to the daemon, or null when none listens. */
  connect(): Promise<Connection | null>
}

/**
 * A small JSON file per purpose, written atomically (temp file, then rename) and never followed
 * through a symlink: desired.json, state.json, daemon.json.
 */
export interface JsonFile<T> {
  /** `null` when there is no file; `corrupt` when it is not a valid `T`. */
  read(): Promise<{ value: T | null } | { value: null; corrupt: string }>
  write(value: T): Promise<void>
  /** Creates the file only when none exists (atomic); false when one is there. */
  create(value: T): Promise<boolean>
  remove(): Promise<void>
  /** Moves an unreadable file aside, keeping it for inspection; returns where to. */
  quarantine(): Promise<string | null>
}

/** A lock across processes (a lock file in STATE_DIR): start, stop, pause and resume hold it. */
export interface Lock {
  /** Runs `fn` holding the lock; waits up to `waitMs`, then throws LockTimeoutError. */
  withLock<T>(fn: () => Promise<T>, waitMs?: number): Promise<T>
}
