import { ConfigError } from './errors.js'

/** The server's settings (SPEC section 3). Flags win over environment variables. */
export interface Config {
  port: number
  host: string
  /** Null: `./pipeline.json` if it exists, else the bundled example (the adapter decides). */
  pipeline: string | null
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
}

interface Setting {
  flag: string
  env: string
  key: keyof Config
  parse: (raw: string, where: string) => Config[keyof Config]
}

const int = (min: number, max: number) => (raw: string, where: string) => {
  if (!/^\d+$/.test(raw.trim())) throw new ConfigError(`${where}: expected an integer from ${min} to ${max}, got "${raw}"`)
  const n = Number(raw)
  if (n < min || n > max) throw new ConfigError(`${where}: expected an integer from ${min} to ${max}, got ${n}`)
  return n
}
const text = (raw: string, where: string) => {
  if (raw.trim() === '') throw new ConfigError(`${where}: must not be empty`)
  return raw
}

export const SETTINGS: readonly Setting[] = [
  { flag: 'port', env: 'PORT', key: 'port', parse: int(0, 65535) },
  { flag: 'host', env: 'HOST', key: 'host', parse: text },
  { flag: 'pipeline', env: 'PIPELINE_FILE', key: 'pipeline', parse: text },
  { flag: 'state-dir', env: 'STATE_DIR', key: 'stateDir', parse: text },
  { flag: 'log-file', env: 'LOG_FILE', key: 'logFile', parse: text },
  { flag: 'token', env: 'CRON_API_TOKEN', key: 'token', parse: text },
  { flag: 'read-token', env: 'CRON_API_READ_TOKEN', key: 'readToken', parse: text },
  { flag: 'min-interval', env: 'MIN_INTERVAL_SECONDS', key: 'minIntervalSeconds', parse: int(1, 86_400) },
  { flag: 'log-max-bytes', env: 'LOG_MAX_BYTES', key: 'logMaxBytes', parse: int(1024, Number.MAX_SAFE_INTEGER) },
  { flag: 'log-keep', env: 'LOG_KEEP', key: 'logKeep', parse: int(0, 100) },
  { flag: 'stop-grace', env: 'STOP_GRACE_SECONDS', key: 'stopGraceSeconds', parse: int(0, 3600) },
  { flag: 'runs-keep', env: 'RUNS_KEEP', key: 'runsKeep', parse: int(10, 1_000_000) },
]

export const DEFAULTS: Config = {
  port: 8000,
  host: '127.0.0.1',
  pipeline: null,
  stateDir: './.pipeline-cron',
  logFile: './pipeline_execution.log',
  token: null,
  readToken: null,
  minIntervalSeconds: 10,
  logMaxBytes: 52_428_800,
  logKeep: 5,
  stopGraceSeconds: 10,
  runsKeep: 1000,
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
    if (fromFlag !== undefined) Object.assign(config, { [s.key]: s.parse(fromFlag, `--${s.flag}`) })
    else if (fromEnv !== undefined && fromEnv !== '') Object.assign(config, { [s.key]: s.parse(fromEnv, s.env) })
  }
  return config
}

function parseFlags(args: readonly string[]): Map<string, string> {
  const known = new Set(SETTINGS.map((s) => s.flag))
  const out = new Map<string, string>()
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!
    const m = /^--([a-z-]+)(?:=(.*))?$/s.exec(arg)
    if (!m) throw new ConfigError(`unexpected argument "${arg}" (flags look like --port 8000)`)
    const name = m[1]!
    if (!known.has(name)) throw new ConfigError(`unknown flag --${name}; known flags: ${[...known].map((k) => `--${k}`).join(', ')}`)
    let value = m[2]
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
