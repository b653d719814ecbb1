import type { z } from 'zod'
import type { JsonFile } from './ports.js'

/**
 * What a JsonFile's read reports for the text found at `path`: the value, or `corrupt` naming the
 * path and what is wrong (not JSON, or the first rule the schema finds broken). Every JsonFile
 * (the file adapter and the in-memory one) words it this way.
 */
export function parseJsonText<T>(path: string, text: string, schema: z.ZodType<T>): Awaited<ReturnType<JsonFile<T>['read']>> {
  let raw: unknown
  try {
    raw = JSON.parse(text)
  } catch (err) {
    return { value: null, corrupt: `${path}: invalid JSON (${(err as Error).message})` }
  }
  const parsed = schema.safeParse(raw)
  if (!parsed.success) return { value: null, corrupt: `${path}: ${parsed.error.issues[0]?.path.join('.') || 'value'}: ${parsed.error.issues[0]?.message}` }
  return { value: parsed.data }
}
