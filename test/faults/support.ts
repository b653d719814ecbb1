/**
 * What only the fault suite uses: its own fixtures, a second server on the same folder, foreign
 * processes and pids to kill at the end, and a raw HTTP/1.1 client for requests fetch() refuses to
 * send. The rest comes from test/helpers/real-server.ts.
 */
import { connect } from 'node:net'
import { join, resolve } from 'node:path'
import { onTestFinished } from 'vitest'
import { isAlive, killAll, NODE, startServer, textOf, type ServerOptions, type TestServer } from '../helpers/real-server.js'

export * from '../helpers/real-server.js'

export const FAULT_FIXTURES = resolve(import.meta.dirname, 'fixtures')

/** `[node, test/faults/fixtures/<name>, ...args]`: one of this suite's fixtures. */
export const faultFixture = (name: string, ...args: string[]) => [NODE, join(FAULT_FIXTURES, name), ...args]

/** A second server on the same folder (state dir, log, pipeline); closed when the test ends. */
export async function secondServer(first: TestServer, options: Omit<ServerOptions, 'dir'> = {}): Promise<TestServer> {
  const server = await startServer({ ...options, dir: first.dir })
  onTestFinished(() => server.close())
  return server
}

/** SIGKILLs, at the end of the test, every live pid given (escaped children, foreign processes). */
export function killAtEnd(...pids: number[]) {
  onTestFinished(() => killAll(pids.filter(isAlive)))
}

/** The pids listed one per line in a file the fixtures write; killed at the end of the test. */
export function pidsFromFile(path: string): number[] {
  const pids = textOf(path).split('\n').filter(Boolean).map(Number)
  killAtEnd(...pids)
  return pids
}

export interface RawResponse {
  status: number
  headers: Record<string, string>
  body: string
  json: any
}

/**
 * Sends `request` bytes as they are over a new connection to the server and reads the answer
 * until the server closes it (send `Connection: close`). For paths, methods and bodies that
 * fetch() would normalise or refuse.
 */
export function rawRequest(url: string, request: Buffer | string, timeoutMs = 10_000): Promise<RawResponse> {
  const { hostname, port } = new URL(url)
  return new Promise((resolvePromise, reject) => {
    const socket = connect({ host: hostname, port: Number(port) })
    const chunks: Buffer[] = []
    const timer = setTimeout(() => {
      socket.destroy()
      reject(new Error(`no answer within ${timeoutMs} ms to ${String(request).slice(0, 80)}`))
    }, timeoutMs)
    socket.on('data', (d) => chunks.push(d))
    // The server may answer (e.g. 413) and close before the whole request was written.
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EPIPE' && err.code !== 'ECONNRESET') {
        clearTimeout(timer)
        reject(err)
      }
    })
    socket.on('close', () => {
      clearTimeout(timer)
      try {
        resolvePromise(parseResponse(Buffer.concat(chunks)))
      } catch (err) {
        reject(err)
      }
    })
    socket.write(request)
  })
}

function parseResponse(data: Buffer): RawResponse {
  // Skip interim answers (100 Continue): the final one follows.
  while (/^HTTP\/1\.[01] 1\d\d /.test(data.subarray(0, 16).toString('latin1'))) {
    const interimEnd = data.indexOf('\r\n\r\n')
    if (interimEnd < 0) break
    data = data.subarray(interimEnd + 4)
  }
  const end = data.indexOf('\r\n\r\n')
  if (end < 0) throw new Error(`no HTTP answer (got ${data.length} bytes: ${JSON.stringify(data.toString('latin1').slice(0, 200))})`)
  const [statusLine, ...headerLines] = data.subarray(0, end).toString('latin1').split('\r\n')
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine!)?.[1])
  const headers: Record<string, string> = {}
  for (const h of headerLines) {
    const i = h.indexOf(':')
    headers[h.slice(0, i).trim().toLowerCase()] = h.slice(i + 1).trim()
  }
  let body = data.subarray(end + 4)
  if (/chunked/i.test(headers['transfer-encoding'] ?? '')) body = dechunk(body)
  const text = body.toString('utf8')
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    json = undefined
  }
  return { status, headers, body: text, json }
}

function dechunk(data: Buffer): Buffer {
  const out: Buffer[] = []
  let at = 0
  while (at < data.length) {
    const lineEnd = data.indexOf('\r\n', at)
    if (lineEnd < 0) break
    const size = parseInt(data.subarray(at, lineEnd).toString('latin1'), 16)
    if (!(size > 0)) break
    out.push(data.subarray(lineEnd + 2, lineEnd + 2 + size))
    at = lineEnd + 2 + size + 2
  }
  return Buffer.concat(out)
}
