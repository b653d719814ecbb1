import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import { describe, expect, it } from 'vitest'

// The core must run on any fetch-compatible runtime: only hono, zod, croner and Web APIs.
const SRC = join(import.meta.dirname, '..', '..', 'src')
const ALLOWED = [/^hono(\/|$)/, /^@hono\/zod-openapi$/, /^@hono\/zod-validator$/, /^zod(\/|$)/, /^croner$/, /^\.\.?\//]

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    return statSync(path).isDirectory() ? files(path) : /\.tsx?$/.test(name) ? [path] : []
  })
}

describe('src/ stays runtime-agnostic', () => {
  it('imports only hono, zod, croner and relative modules - no node:*, no bun', () => {
    const offenders: string[] = []
    for (const file of files(SRC)) {
      const text = readFileSync(file, 'utf8')
      for (const m of text.matchAll(/(?:from|import)\s*\(?\s*['"]([^'"]+)['"]/g)) {
        if (!ALLOWED.some((re) => re.test(m[1]!))) offenders.push(`${relative(SRC, file)}: ${m[1]} (move runtime code to adapters/)`)
      }
    }
    expect(offenders).toEqual([])
  })

  it('never touches the Bun global or process in the core (comments aside)', () => {
    const code = (file: string) => readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '')
    const offenders = files(SRC).filter((file) => /\bBun\.|\bprocess\.(env|argv|kill|pid|exit)/.test(code(file)))
    expect(offenders.map((f) => relative(SRC, f))).toEqual([])
  })
})
