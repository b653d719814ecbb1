import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { dirname, isAbsolute, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { ConfigError } from '../../src/errors.js'
import type { Pipeline } from '../../src/pipeline.js'
import { parsePipeline } from '../../src/pipeline.js'

/** The package's root folder (holds `examples/`), from the source tree or from `dist/`. */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url))
  while (!existsSync(resolve(dir, 'package.json')) || !existsSync(resolve(dir, 'examples'))) {
    const up = dirname(dir)
    if (up === dir) throw new Error('pipeline-cron: cannot find the package root')
    dir = up
  }
  return dir
}

/**
 * `--pipeline` if given, else `./pipeline.json` if it exists, else the bundled example (or null
 * when `bundled` is false: a folder of pipelines does not get the example added to it).
 */
export function resolvePipelinePath(configured: string | null, cwd?: string): string
export function resolvePipelinePath(configured: string | null, cwd: string, options: { bundled: false }): string | null
export function resolvePipelinePath(configured: string | null, cwd = process.cwd(), options: { bundled?: boolean } = {}): string | null {
  if (configured) return resolve(cwd, configured)
  const local = resolve(cwd, 'pipeline.json')
  if (existsSync(local)) return local
  if (options.bundled === false) return null
  return resolve(packageRoot(), 'examples', 'pipeline.json')
}

/** Reads and validates the pipeline file; errors are one ConfigError line naming the file. */
export async function loadPipeline(path: string): Promise<Pipeline> {
  const label = displayPath(path)
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    const e = err as NodeJS.ErrnoException
    throw new ConfigError(`${label}: cannot read the pipeline file (${e.code ?? e.message})`)
  }
  return parsePipeline(text, label)
}

function displayPath(path: string): string {
  const rel = relative(process.cwd(), path)
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path
}
