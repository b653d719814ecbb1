import type { z } from 'zod'
import { parseJsonText } from '../../src/json-text.js'
import type { JsonFile } from '../../src/ports.js'

/** Files as text by path: every JsonFile handle on one disk sees what the others wrote, as processes do. */
export interface MemoryDisk {
  readonly files: Map<string, string>
  jsonFile<T>(path: string, schema: z.ZodType<T>): JsonFile<T>
  /** Leaves `text` at `path` as a torn write or a hand edit would: a reader finds it corrupt. */
  corrupt(path: string, text?: string): void
}

export function createMemoryDisk(): MemoryDisk {
  const files = new Map<string, string>()
  let quarantined = 0
  return {
    files,
    corrupt: (path, text = '{"pid": 42, "instance_') => void files.set(path, text),
    jsonFile<T>(path: string, schema: z.ZodType<T>): JsonFile<T> {
      return {
        // Reports what the file adapter reports: the path, and what is wrong with it.
        async read() {
          const text = files.get(path)
          return text === undefined ? { value: null } : parseJsonText(path, text, schema)
        },
        async write(value) {
          files.set(path, JSON.stringify(value, null, 2))
        },
        async create(value) {
          if (files.has(path)) return false
          files.set(path, JSON.stringify(value, null, 2))
          return true
        },
        async remove() {
          files.delete(path)
        },
        async quarantine() {
          const text = files.get(path)
          if (text === undefined) return null
          const to = `${path}.corrupt-${++quarantined}`
          files.set(to, text)
          files.delete(path)
          return to
        },
      }
    },
  }
}
