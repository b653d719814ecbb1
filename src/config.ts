import { ConfigError } from './errors.js'

/** The server's settings (README "Configuration"). Flags win over environment variables. */
export interface Config {
  port: number
  host: string
  /** The pipeline named `default`. Null: `./pipeline.json` if it exists, else the bundled example (the adapter decides). */
  pipeline: string | null
  /** A folder of pipelines: every `*.json` in it, named by its file stem. */
  pipelinesDir: string | null
  /** The pipeline `/api/cron/…` serves (else `default`, else the only one). */
  defaultPipeline: string | null
  /** Where the log of each pipeline but `default` goes (`<name>.log`). */
  logDir: string
  /** Start again, at server start, the pipelines that were started and never stopped. */
  resume: boolean
  stateDir: string
  logFile: string
  token: string | null
  readToken: string | null
  minIntervalSeconds: number
  logMaxBytes: number
  logKeep: number
  /** How long a cancelled step gets between SIGTERM and SIGKILL. */
  stopGraceSeconds: number
  /** Runs kept in the run history. */
  runsKeep: number
  /** Cluster mode: the Redis URL (`redis://HOST:PORT[/DB]`); null is the local mode. */
  redis: string | null
  /** Cluster mode: `serve` also runs a worker. */
  worker: boolean
  /** Cluster mode: runs one worker process takes at once, all pipelines together. */
  concurrency: number
  /** Cluster mode: lines kept in each pipeline's log stream. */
  logMaxLines: number
}

interface Setting {
  flag: string
  env: string
  key: keyof Config
  parse: (raw: string, where: string) => Config[keyof Config]
  /** A switch: `--flag` alone sets `value`. */
  switchValue?: Config[keyof Config]
}

const int = (min: number, max: number) => (raw: string, where: string) => {
  if (!/^\d+$/.test(raw.trim())) throw new ConfigError(`${where}: expected an integer from ${min} to ${max}, got "${raw}"`)
  const n = Number(raw)
  if (n < min || n > max) throw new ConfigError(`${where}: expected an integer from ${min} to ${max}, got ${n}`)
  return n
}
const bool = (raw: string, where: string) => {
  if (/^(1|true|yes)$/i.test(raw.trim())) return true
  if (/^(0|false|no)$/i.test(raw.trim())) return false
  throw new ConfigError(`${where}: expected true or false, got "${raw}"`)
}
const pipelineName = (raw: string, where: string) => {
  if (!/^[a-z0-9][a-z0-9_-]{0,63}$/.test(raw)) throw new ConfigError(`${where}: "${raw}" is not a pipeline name (lower-case letters, digits, - and _, at most 64)`)
  return raw
}
const redisUrl = (raw: string, where: string) => {
  if (!/^rediss?:\/\/[^\s]+$/.test(raw.trim())) throw new ConfigError(`${where}: expected redis://HOST:PORT[/DB], got "${raw}"`)
  return raw.trim()
}
const text = (raw: string, where: string) => {
  if (raw.trim() === '') throw new ConfigError(`${where}: must not be empty`)
  return raw
}

export const SETTINGS: readonly Setting[] = [
  { flag: 'port', env: 'PORT', key: 'port', parse: int(0, 65535) },
  { flag: 'host', env: 'HOST', key: 'host', parse: text },
  { flag: 'pipeline', env: 'PIPELINE_FILE', key: 'pipeline', parse: text },
  { flag: 'pipelines', env: 'PIPELINES_DIR', key: 'pipelinesDir', parse: text },
  { flag: 'default-pipeline', env: 'DEFAULT_PIPELINE', key: 'defaultPipeline', parse: pipelineName },
  { flag: 'state-dir', env: 'STATE_DIR', key: 'stateDir', parse: text },
  { flag: 'log-file', env: 'LOG_FILE', key: 'logFile', parse: text },
  { flag: 'log-dir', env: 'LOG_DIR', key: 'logDir', parse: text },
  { flag: 'token', env: 'CRON_API_TOKEN', key: 'token', parse: text },
  { flag: 'read-token', env: 'CRON_API_READ_TOKEN', key: 'readToken', parse: text },
  { flag: 'min-interval', env: 'MIN_INTERVAL_SECONDS', key: 'minIntervalSeconds', parse: int(1, 86_400) },
  { flag: 'log-max-bytes', env: 'LOG_MAX_BYTES', key: 'logMaxBytes', parse: int(1024, Number.MAX_SAFE_INTEGER) },
  { flag: 'log-keep', env: 'LOG_KEEP', key: 'logKeep', parse: int(0, 100) },
  { flag: 'stop-grace', env: 'STOP_GRACE_SECONDS', key: 'stopGraceSeconds', parse: int(0, 3600) },
  { flag: 'runs-keep', env: 'RUNS_KEEP', key: 'runsKeep', parse: int(10, 1_000_000) },
  { flag: 'no-resume', env: 'NO_RESUME', key: 'resume', parse: (raw, where) => !bool(raw, where), switchValue: false },
  { flag: 'redis', env: 'REDIS_URL', key: 'redis', parse: redisUrl },
  { flag: 'worker', env: 'PIPELINE_CRON_WORKER', key: 'worker', parse: bool, switchValue: true },
  { flag: 'concurrency', env: 'WORKER_CONCURRENCY', key: 'concurrency', parse: int(1, 1000) },
  { flag: 'log-max-lines', env: 'LOG_MAX_LINES', key: 'logMaxLines', parse: int(1000, 1_000_000_000) },
]

export const DEFAULTS: Config = {
  port: 8000,
  host: '127.0.0.1',
  pipeline: null,
  pipelinesDir: null,
  defaultPipeline: null,
  logDir: './logs',
  resume: true,
  stateDir: './.pipeline-cron',
  logFile: './pipeline_execution.log',
  token: null,
  readToken: null,
  minIntervalSeconds: 10,
  logMaxBytes: 52_428_800,
  logKeep: 5,
  stopGraceSeconds: 10,
  runsKeep: 1000,
  redis: null,
  worker: false,
  concurrency: 10,
  logMaxLines: 1_000_000,
}

/**
 * Reads `--flag value` / `--flag=value` arguments and the environment into a Config.
 * Throws a ConfigError naming the flag or variable and the rule.
 */
export function resolveConfig(args: readonly string[], env: Record<string, string | undefined>): Config {
  const flags = parseFlags(args)
  const config: Config = { ...DEFAULTS }
  for (const s of SETTINGS) {
    const fromFlag = flags.get(s.flag)
    const fromEnv = env[s.env]
    if (fromFlag === SWITCH) Object.assign(config, { [s.key]: s.switchValue })
    else if (fromFlag !== undefined) Object.assign(config, { [s.key]: s.parse(fromFlag, `--${s.flag}`) })
    else if (fromEnv !== undefined && fromEnv !== '') Object.assign(config, { [s.key]: s.parse(fromEnv, s.env) })
  }
  return config
}

// What a switch (a flag without a value, such as --no-resume) reads as.
const SWITCH = '\0switch'

function parseFlags(args: readonly string[]): Map<string, string> {
  const known = new Set(SETTINGS.map((s) => s.flag))
  const switches = new Set(SETTINGS.filter((s) => s.switchValue !== undefined).map((s) => s.flag))
  const out = new Map<string, string>()
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!
    const m = /^--([a-z-]+)(?:=(.*))?$/s.exec(arg)
    if (!m) throw new ConfigError(`unexpected argument "${arg}" (flags look like --port 8000)`)
    const name = m[1]!
    if (!known.has(name)) throw new ConfigError(`unknown flag --${name}; known flags: ${[...known].map((k) => `--${k}`).join(', ')}`)
    let value = m[2]
    if (value === undefined && switches.has(name)) value = SWITCH
    if (value === undefined) {
      value = args[i + 1]
      if (value === undefined || value.startsWith('--')) throw new ConfigError(`--${name}: expected a value`)
      i++
    }
    out.set(name, value)
  }
  return out
}

/** True for addresses only this machine can reach. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host)
}
