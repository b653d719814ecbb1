/**
 * The shape of the tree, kept: no import cycle among our own modules (type imports count), and
 * no source file over 300 lines.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ROOT } from '../helpers/server.js'

const SOURCE_DIRS = ['src', 'adapters']
const MAX_LINES = 300
// Generated at build time, not written by hand.
const GENERATED = /\.generated\.ts$/


function sourceFiles(dir: string): string[] {
  const out: string[] = []
  for (const name of readdirSync(dir)) {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) out.push(...sourceFiles(path))
    else if (/\.tsx?$/.test(name) && !name.endsWith('.d.ts') && !GENERATED.test(name)) out.push(path)
  }
  return out
}

/** Relative imports and re-exports of a file, resolved to files (`.js` written for `.ts`/`.tsx`). */
function importsOf(file: string, known: Set<string>): string[] {
  const text = readFileSync(file, 'utf8')
  const specifiers = [...text.matchAll(/^\s*(?:import|export)\s[^'"]*?from\s+['"](\.[^'"]+)['"]/gm), ...text.matchAll(/^\s*import\s+['"](\.[^'"]+)['"]/gm)].map((m) => m[1]!)
  const out: string[] = []
  for (const spec of specifiers) {
    const base = resolve(dirname(file), spec)
    const candidates = [base.replace(/\.js$/, '.ts'), base.replace(/\.js$/, '.tsx'), base, `${base}.ts`, join(base, 'index.ts')]
    const hit = candidates.find((c) => known.has(c))
    if (hit) out.push(hit)
  }
  return out
}

/** Strongly connected components with more than one file, or a file importing itself (Tarjan). */
function cycles(graph: Map<string, string[]>): string[][] {
  let index = 0
  const stack: string[] = []
  const onStack = new Set<string>()
  const idx = new Map<string, number>()
  const low = new Map<string, number>()
  const found: string[][] = []
  const visit = (v: string) => {
    idx.set(v, index)
    low.set(v, index++)
    stack.push(v)
    onStack.add(v)
    for (const w of graph.get(v) ?? []) {
      if (!idx.has(w)) {
        visit(w)
        low.set(v, Math.min(low.get(v)!, low.get(w)!))
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!))
    }
    if (low.get(v) === idx.get(v)) {
      const scc: string[] = []
      let w: string
      do {
        w = stack.pop()!
        onStack.delete(w)
        scc.push(w)
      } while (w !== v)
      if (scc.length > 1 || (graph.get(v) ?? []).includes(v)) found.push(scc)
    }
  }
  for (const v of graph.keys()) if (!idx.has(v)) visit(v)
  return found
}

describe('the source tree', () => {
  const files = SOURCE_DIRS.flatMap((d) => sourceFiles(join(ROOT, d)))
  const known = new Set(files)

  it('has no import cycle among its own modules, type imports included', () => {
    const graph = new Map(files.map((f) => [f, importsOf(f, known)]))
    const found = cycles(graph).map((scc) => scc.map((f) => relative(ROOT, f)).sort().join(' → '))
    expect(found).toEqual([])
  })

  it(`has no source file over ${MAX_LINES} lines`, () => {
    const long = files
      .map((f) => ({ file: relative(ROOT, f), lines: readFileSync(f, 'utf8').split('\n').length }))
      .filter((f) => f.lines > MAX_LINES)
    expect(long).toEqual([])
  })
})
