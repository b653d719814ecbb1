/** One line of the result table: a measure for Node and Bun, its reference and its target. */
export interface Row {
  section: string
  measure: string
  node?: string
  bun?: string
  /** The baseline measured in the same run (bare node:http, a plain redirect, the 1 MB file...). */
  ref?: string
  target?: string
  /** undefined: informational, no target. */
  met?: boolean
}

const HEAD = ['#', 'measure', 'node', 'bun', 'reference', 'target', 'met']

/** The rows as a fixed-width text table (for the terminal). */
export function textTable(rows: Row[]): string {
  const cells = [HEAD, ...rows.map(cellsOf)]
  const widths = HEAD.map((_, i) => Math.max(...cells.map((c) => c[i]!.length)))
  const line = (c: string[]) => c.map((s, i) => s.padEnd(widths[i]!)).join('  ').trimEnd()
  return [line(cells[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n')
}

/** The rows as a GitHub markdown table (for BENCHMARKS.md). */
export function markdownTable(rows: Row[]): string {
  const esc = (s: string) => s.replace(/\|/g, '\\|')
  return [
    `| ${HEAD.join(' | ')} |`,
    `|${HEAD.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${cellsOf(r).map(esc).join(' | ')} |`),
  ].join('\n')
}

function cellsOf(r: Row): string[] {
  const met = r.met === undefined ? '' : r.met ? 'yes' : 'NO'
  return [r.section, r.measure, r.node ?? '', r.bun ?? '', r.ref ?? '', r.target ?? '', met]
}

/** Formats a number with `digits` decimals (NaN shows as "n/a"). */
export function fmt(x: number, digits = 1): string {
  return Number.isFinite(x) ? x.toFixed(digits) : 'n/a'
}
