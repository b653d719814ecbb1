#!/usr/bin/env node
/**
 * `pipeline-cron`: `serve` (the default) runs the HTTP API; `list`, `start`, `stop`, `status`,
 * `pause`, `resume`, `logs`, `clear-logs`, `runs` and `run-now` talk to a server through the
 * typed client; `run-once` runs the pipeline in the foreground. Every error is one line on
 * stderr and a non-zero exit.
 */
import { CommanderError } from 'commander'
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { CliError } from './cli/errors.js'
import { buildProgram } from './cli/program.js'

async function main(argv: string[]) {
  const program = buildProgram(packageVersion())
  // Commander's own usage errors go through the same one-line "pipeline-cron: ..." path.
  program.exitOverride()
  for (const cmd of [program, ...program.commands]) {
    cmd.exitOverride().configureOutput({ outputError: (text, write) => write(`pipeline-cron: ${text.replace(/^error: /, '')}`) })
  }
  // `serve` is the default, so commander would read an unknown command as serve's argument.
  const first = argv[0]
  if (first && !first.startsWith('-') && first !== 'help' && !program.commands.some((c) => c.name() === first)) {
    throw new CliError(`unknown command "${first}"; see pipeline-cron --help`)
  }
  await program.parseAsync(argv, { from: 'user' })
}

/** The version in our package.json, found upwards from this file (dist/ or the source tree). */
function packageVersion(): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string }
      if (pkg.name === 'pipeline-cron' && pkg.version) return pkg.version
    } catch {
      // no package.json here
    }
    if (dirname(dir) === dir) return 'unknown'
  }
}

/** One line: the rule for config and usage errors (API errors arrive already said in CLI terms). */
function describe(err: unknown): string {
  const e = err as Error & { code?: string }
  if (e.code === 'EADDRINUSE' || e.code === 'EACCES') return `cannot listen: ${e.message}`
  return (e?.message ?? String(err)).replace(/^pipeline-cron: /, '')
}

// EPIPE: the reader went away (`pipeline-cron logs | head`); that is not an error.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0)
  throw err
})

main(process.argv.slice(2)).catch((err: unknown) => {
  if (err instanceof CommanderError) {
    // --help and --version "fail" with exit code 0; usage errors were already printed.
    process.exitCode = err.exitCode
    return
  }
  process.stderr.write(`pipeline-cron: ${describe(err).replace(/\s*\n\s*/g, ' ')}\n`)
  process.exitCode = 1
})
