/**
 * What only the feature suites use: their own fixtures, shell-script steps, log lines, the
 * Prometheus text parser and file-descriptor counts. The rest comes from test/helpers/real-server.ts.
 */
import { readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { expect } from 'vitest'
import { call, NODE, type TestServer } from '../helpers/real-server.js'

export * from '../helpers/real-server.js'
export { SseClient } from '../helpers/sse-client.js'

export const HERE = import.meta.dirname

/** A fixture of this folder (test/features/fixtures). */
export const localFixture = (name: string, ...args: string[]) => [NODE, join(HERE, 'fixtures', name), ...args]

/** The lines of a log text, without the "\n" that ends the last one. */
export function linesOf(text: string): string[] {
  const lines = text.split('\n')
  if (lines[lines.length - 1] === '') lines.pop()
  return lines
}

/** Writes a small shell script in `dir` and returns the step `run` for it (array form). */
export function shellScript(dir: string, name: string, body: string): string[] {
  const file = join(dir, name)
  writeFileSync(file, `#!/bin/sh\n${body}\n`, { mode: 0o755 })
  return ['/bin/sh', file]
}

// ---------------------------------------------------------------------------------------------
// Prometheus text format
// ---------------------------------------------------------------------------------------------

export interface Sample {
  name: string
  labels: Record<string, string>
  value: number
}

export interface Exposition {
  samples: Sample[]
  types: Map<string, string>
  help: Map<string, string>
  /** The value of the one sample of `name` whose labels include `labels`. */
  value(name: string, labels?: Record<string, string>): number | undefined
}

const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*'
const SAMPLE = new RegExp(`^(${NAME})(?:\\{(.*)\\})? (\\S+)(?: (-?\\d+))?$`)
const LABEL = /^([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"(,|$)/

/**
 * Parses Prometheus text format 0.0.4 strictly, line by line: `# HELP`, `# TYPE` (at most once
 * per metric, TYPE before its samples), and samples `name{label="value",...} value`.
 * Throws with the offending line on anything else.
 */
export function parsePrometheus(text: string): Exposition {
  if (!text.endsWith('\n')) throw new Error('exposition must end with a newline')
  const samples: Sample[] = []
  const types = new Map<string, string>()
  const help = new Map<string, string>()
  const seenSamples = new Set<string>()
  for (const line of text.slice(0, -1).split('\n')) {
    if (line === '') continue
    if (line.startsWith('#')) {
      const m = new RegExp(`^# (HELP|TYPE) (${NAME}) (.*)$`).exec(line)
      if (!m) {
        if (/^# (HELP|TYPE)/.test(line)) throw new Error(`malformed comment line: ${line}`)
        continue
      }
      const [, kind, name, rest] = m as unknown as [string, string, string, string]
      if (kind === 'HELP') {
        if (help.has(name)) throw new Error(`second HELP for ${name}`)
        help.set(name, rest)
      } else {
        if (types.has(name)) throw new Error(`second TYPE for ${name}`)
        if (seenSamples.has(name)) throw new Error(`TYPE after samples for ${name}`)
        if (!['counter', 'gauge', 'histogram', 'summary', 'untyped'].includes(rest)) throw new Error(`bad type: ${line}`)
        types.set(name, rest)
      }
      continue
    }
    const m = SAMPLE.exec(line)
    if (!m) throw new Error(`malformed sample line: ${line}`)
    const [, name, labelText, valueText] = m as unknown as [string, string, string | undefined, string]
    const labels: Record<string, string> = {}
    let rest = labelText ?? ''
    while (rest.length) {
      const l = LABEL.exec(rest)
      if (!l) throw new Error(`malformed labels in: ${line}`)
      labels[l[1]!] = l[2]!.replace(/\\n/g, '\n').replace(/\\"/g, '"').replace(/\\\\/g, '\\')
      rest = rest.slice(l[0].length)
    }
    if (!/^(?:[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|[+-]Inf|NaN)$/.test(valueText)) throw new Error(`bad value in: ${line}`)
    const value = valueText === '+Inf' ? Infinity : valueText === '-Inf' ? -Infinity : Number(valueText)
    if (!types.has(name) && !types.has(name.replace(/_(sum|count|bucket)$/, ''))) throw new Error(`sample before its TYPE: ${line}`)
    seenSamples.add(name)
    samples.push({ name, labels, value })
  }
  return {
    samples,
    types,
    help,
    value(name, want = {}) {
      const hits = samples.filter((s) => s.name === name && Object.entries(want).every(([k, v]) => s.labels[k] === v))
      if (hits.length > 1) throw new Error(`${hits.length} samples of ${name} match ${JSON.stringify(want)}`)
      return hits[0]?.value
    },
  }
}

/** GET /metrics, checked to be valid Prometheus text. */
export async function metrics(server: TestServer): Promise<Exposition> {
  const res = await call(server.url, 'GET', '/metrics')
  expect(res.status, res.text).toBe(200)
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/)
  return parsePrometheus(res.text)
}

/** Counts of /proc/<pid>/fd entries (open files and sockets of a process). */
export function fdCount(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length
}
