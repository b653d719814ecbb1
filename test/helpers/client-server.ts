/** What the client and CLI suites share: one built server per file with a client of it, and the errors they expect. */
import { createServer } from 'node:net'
import { afterAll, beforeAll, expect } from 'vitest'
import { PipelineCronClient, PipelineCronError } from '../../src/client.js'
import { startServer, type ServerOptions, type TestServer } from './server.js'

/** A built server for the whole file (started before its tests, removed after) and a client of it. */
export function serverForFile(options: ServerOptions): { server: TestServer; client: PipelineCronClient } {
  const live = {} as { server: TestServer; client: PipelineCronClient }
  beforeAll(async () => {
    live.server = await startServer(options)
    live.client = new PipelineCronClient(live.server.url)
  })
  afterAll(() => live.server?.cleanup())
  return live
}

/** The PipelineCronError a call rejects with (fails the test when it resolves). */
export async function rejection(p: Promise<unknown>): Promise<PipelineCronError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  )
  expect(err).toBeInstanceOf(PipelineCronError)
  return err as PipelineCronError
}

/** A port nothing listens on: bound, then released. */
export function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number }
      s.close(() => resolve(port))
    })
  })
}
