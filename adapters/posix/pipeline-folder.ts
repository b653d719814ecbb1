import { readdirSync, statSync } from 'node:fs'
import { basename, join } from 'node:path'
import type { PipelineDefinition, PipelineSource } from '../../src/control/catalog.js'
import { DEFAULT_PIPELINE, PIPELINE_NAME } from '../../src/control/homes.js'
import { ConfigError } from '../../src/errors.js'
import { loadPipeline } from './pipeline-file.js'

export interface PipelineFolderOptions {
  /** The `default` pipeline's file (`--pipeline`, ./pipeline.json or the bundled example), if any. */
  defaultFile: string | null
  /** `--pipelines DIR`: every `DIR/*.json` is a pipeline named by its stem. */
  dir: string | null
  /** A listing younger than this is answered from memory. */
  rescanMs?: number
}

export interface PipelineFolder extends PipelineSource {
  /** Reads every file now; throws a ConfigError naming the first bad file (start-up checks). */
  load(): Promise<PipelineDefinition[]>
}

/**
 * The pipeline definitions from a file and a folder. The folder is scanned again at most once a
 * second, when asked, so a file added to it appears without a restart; a file is parsed again only
 * when its size or mtime changed.
 */
export function createPipelineFolder(options: PipelineFolderOptions): PipelineFolder {
  const rescanMs = options.rescanMs ?? 1000
  const parsed = new Map<string, { key: string; definition: PipelineDefinition }>()
  let listing: { at: number; definitions: PipelineDefinition[] } | null = null
  let scanning: Promise<PipelineDefinition[]> | null = null
  const warned = new Set<string>()

  async function definitionOf(name: string, file: string, strict: boolean): Promise<PipelineDefinition | null> {
    const key = fileKey(file)
    const cached = parsed.get(file)
    if (cached && cached.key === key && !strict) return cached.definition
    let definition: PipelineDefinition
    try {
      const pipeline = await loadPipeline(file)
      definition = { name, file, steps: pipeline.steps.length, error: null }
    } catch (err) {
      if (strict) throw err
      definition = { name, file, steps: null, error: (err as Error).message }
    }
    parsed.set(file, { key, definition })
    return definition
  }

  async function scan(strict: boolean): Promise<PipelineDefinition[]> {
    const found: PipelineDefinition[] = []
    if (options.defaultFile) {
      const definition = await definitionOf(DEFAULT_PIPELINE, options.defaultFile, strict)
      if (definition) found.push(definition)
    }
    if (options.dir) {
      let entries: string[]
      try {
        entries = readdirSync(options.dir).filter((f) => f.endsWith('.json')).sort()
      } catch (err) {
        if (strict) throw new ConfigError(`${options.dir}: cannot read the pipelines folder (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`)
        entries = []
      }
      for (const entry of entries) {
        const file = join(options.dir, entry)
        const name = basename(entry, '.json')
        if (!PIPELINE_NAME.test(name)) {
          const why = `${file}: "${name}" is not a valid pipeline name (lower-case letters, digits, - and _, at most 64, starting with a letter or digit)`
          if (strict) throw new ConfigError(why)
          if (!warned.has(file)) console.error(`pipeline-cron: warning: ${why}; the file is ignored`)
          warned.add(file)
          continue
        }
        if (name === DEFAULT_PIPELINE && options.defaultFile) {
          if (strict) throw new ConfigError(`${file}: the name "default" is taken by --pipeline ${options.defaultFile}; rename the file`)
          continue
        }
        const definition = await definitionOf(name, file, strict)
        if (definition) found.push(definition)
      }
    }
    return found.sort((a, b) => a.name.localeCompare(b.name))
  }

  return {
    async load() {
      const definitions = await scan(true)
      listing = { at: Date.now(), definitions }
      return definitions
    },
    async list() {
      if (listing && Date.now() - listing.at < rescanMs) return listing.definitions
      scanning ??= scan(false)
        .then((definitions) => {
          listing = { at: Date.now(), definitions }
          return definitions
        })
        .finally(() => (scanning = null))
      return scanning
    },
  }
}

function fileKey(file: string): string {
  try {
    const s = statSync(file)
    return `${s.ino}:${s.size}:${s.mtimeMs}`
  } catch {
    return 'missing'
  }
}
