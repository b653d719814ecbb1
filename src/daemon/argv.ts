import type { DaemonSettings } from './protocol.js'
import { daemonSettingsSchema } from './protocol.js'

/**
 * The daemon's command line: `--instance=<id>` and `--state-dir=<dir>` stand alone so that `ps`
 * and the identity check (/proc/<pid>/cmdline) see them; the rest of the settings ride as one
 * JSON object, validated by the daemon on arrival.
 */
export function daemonArgv(settings: DaemonSettings): string[] {
  const { instance_id, state_dir, ...rest } = settings
  return [`--instance=${instance_id}`, `--state-dir=${state_dir}`, `--settings=${JSON.stringify(rest)}`]
}

/** Reads what `daemonArgv` wrote; throws one line naming what is missing or wrong. */
export function parseDaemonArgv(argv: readonly string[]): DaemonSettings {
  const value = (flag: string) => {
    const hit = argv.find((arg) => arg.startsWith(`--${flag}=`))
    if (hit === undefined) throw new Error(`daemon: missing --${flag}`)
    return hit.slice(flag.length + 3)
  }
  let rest: unknown
  try {
    rest = JSON.parse(value('settings'))
  } catch (err) {
    throw new Error(`daemon: --settings: invalid JSON (${(err as Error).message})`)
  }
  const parsed = daemonSettingsSchema.safeParse({ ...(rest as object), instance_id: value('instance'), state_dir: value('state-dir') })
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!
    throw new Error(`daemon: --settings: ${issue.path.join('.')}: ${issue.message}`)
  }
  return parsed.data
}
