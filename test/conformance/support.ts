/**
 * What only the conformance suite uses: fixtures in the shell form, a quick pipeline, pipeline
 * files written by hand and the system packages some checks need. The rest comes from
 * test/helpers/real-server.ts. Everything talks to the server over HTTP, or looks at /proc and
 * files: the same checks run against the Node server and the Bun server (PIPELINE_CRON_RUNTIME).
 */
import { writeFileSync } from 'node:fs'
import { fixture } from '../helpers/real-server.js'

export * from '../helpers/real-server.js'

/** The same as one `/bin/sh -c` string, for steps that exercise the shell form. */
export const fixtureSh = (name: string, ...args: string[]) => fixture(name, ...args).map(shQuote).join(' ')

export function shQuote(s: string): string {
  return /^[\w./=:-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`
}

/** A one-step pipeline that prints a few lines and exits 0. */
export const quickPipeline = (name = 'quick') => ({ name, steps: [{ name: 'hello', run: fixture('print-lines.mjs', '2', '1', 'hello') }] })

/** Writes a pipeline file by hand (startServer writes one only when given a pipeline). */
export function writePipeline(server: { pipelineFile: string }, pipeline: unknown) {
  writeFileSync(server.pipelineFile, typeof pipeline === 'string' ? pipeline : JSON.stringify(pipeline, null, 2))
}

/**
 * A system package a test needs (curl, python3 with requests). Missing: the tests are skipped
 * with a loud message, unless PIPELINE_CRON_REQUIRE_SYSTEM_DEPS=1 (CI), where they run and fail.
 */
export function systemDep(what: string, available: boolean, install: string) {
  const required = process.env.PIPELINE_CRON_REQUIRE_SYSTEM_DEPS === '1'
  if (!available && !required) {
    console.warn(`\n!!!!! SKIPPED: ${what} is not available (${install}); set PIPELINE_CRON_REQUIRE_SYSTEM_DEPS=1 to fail instead !!!!!\n`)
  }
  return {
    skip: !available && !required,
    /** Throws when the dependency is missing (only reached when it is required). */
    assert() {
      if (!available) throw new Error(`${what} is required (PIPELINE_CRON_REQUIRE_SYSTEM_DEPS=1) but not available: ${install}`)
    },
  }
}
