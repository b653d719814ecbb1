/**
 * The README's fenced code blocks, each with the `<!-- readme: … -->` marker on the line before it
 * that says how a test runs it (or why none can).
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { ROOT } from '../helpers/server.js'

export interface Block {
  /** 1-based line of the opening fence. */
  line: number
  lang: string
  /** The block's text, its list indentation removed. */
  code: string
  /** What follows `readme:` in the marker, or null without one. */
  marker: string | null
}

/** Languages of blocks that can run, so each needs a marker. */
export const RUNNABLE = new Set(['js', 'ts', 'bash', 'sh', 'json'])

export function readmeBlocks(text = readFileSync(join(ROOT, 'README.md'), 'utf8')): Block[] {
  const lines = text.split('\n')
  const blocks: Block[] = []
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)```(\w*)\s*$/.exec(lines[i]!)
    if (!open) continue
    const [, indent, lang] = open
    const body: string[] = []
    let j = i + 1
    for (; j < lines.length && !/^\s*```\s*$/.test(lines[j]!); j++) body.push(lines[j]!.startsWith(indent!) ? lines[j]!.slice(indent!.length) : lines[j]!.trimStart())
    let k = i - 1
    while (k >= 0 && lines[k]!.trim() === '') k--
    const marker = k >= 0 ? /^\s*<!-- readme: (.*?) -->\s*$/.exec(lines[k]!)?.[1] ?? null : null
    blocks.push({ line: i + 1, lang: lang!, code: body.join('\n'), marker })
    i = j
  }
  return blocks
}

/** The block's commands: continuation lines joined, blank and comment-only lines left out. */
export function commandsOf(code: string): string[] {
  return code
    .replace(/\\\n\s*/g, '')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
}

/** A command without its trailing ` # comment` (none of ours has a `#` inside quotes). */
export const withoutComment = (command: string) => command.replace(/\s+#\s.*$/, '')

/** The README's address of the server, written for the test's server on its ephemeral port. */
export function atServer(command: string, url: string): string {
  const hostPort = url.replace(/^https?:\/\//, '')
  return command.replace(/(https?:\/\/)?(localhost|127\.0\.0\.1):8000/g, (_m, scheme: string | undefined) => `${scheme ?? ''}${hostPort}`)
}
