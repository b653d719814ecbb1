import type { LogStore } from '../../src/ports.js'
import { createFileLogStore } from '../node/log-store.js'

/**
 * The file log store, reading whole files through Bun.file streams (Bun's fastest file reads);
 * tail, follow, clear and append are the shared file implementation, which Bun runs natively.
 */
export function createBunLogStore(logFile: string, keep: number, opts: { pollMs?: number } = {}) {
  const base = createFileLogStore(logFile, keep, opts)
  const logs: LogStore = {
    ...base,
    readAll: () => readText(logFile),
    async *readRetained() {
      for (let i = keep; i >= 1; i--) yield* readText(`${logFile}.${i}`)
      yield* readText(logFile)
    },
  }
  return Object.assign(logs, { followerStats: base.followerStats })
}

async function* readText(path: string): AsyncGenerator<string> {
  const file = Bun.file(path)
  if (!(await file.exists())) return
  const decoder = new TextDecoder()
  for await (const chunk of file.stream() as unknown as AsyncIterable<Uint8Array>) {
    const text = decoder.decode(chunk, { stream: true })
    if (text) yield text
  }
  const rest = decoder.decode()
  if (rest) yield rest
}
