import { getRequestListener, RequestError } from '@hono/node-server'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import type { Config } from '../../src/config.js'
import { errorBody } from '../../src/errors.js'
import { prepareServer, urlHost } from '../posix/startup.js'
import { createDeps, nodeClientAddress } from './deps.js'
import { createNodeDocsAssets } from '../posix/docs-assets.js'

export interface RunningServer {
  url: string
  port: number
  close(): Promise<void>
}

/**
 * Checks the pipeline files, then serves the app. Throws a ConfigError (one line) for a bad
 * pipeline file, and the listen error for a port that cannot be bound.
 */
export async function serve(config: Config, log: (line: string) => void = console.log): Promise<RunningServer> {
  // Cluster mode (--redis) is loaded only when asked for: the local mode needs none of it.
  const { app, deps, banner } = config.redis
    ? await (await import('../redis/api.js')).prepareClusterServer(config, { clientAddress: nodeClientAddress, docsAssets: createNodeDocsAssets() })
    : await prepareServer(config, createDeps(config))
  // Not @hono/node-server's serve(): it passes no errorHandler, so a request whose URL cannot be
  // built (`OPTIONS *`, a bad absolute URL) got a bare 400. A request without Host (HTTP/1.0
  // tools) is served on the configured host, as serve() did, instead of Node's bare 400.
  const hostname = urlHost(config.host)
  const listener = getRequestListener(app.fetch, { hostname, errorHandler: answerRequestError })
  const server = createServer({ requireHostHeader: false }, listener)
  server.on('clientError', answerClientError)
  server.on('connect', answerConnect)
  // Node answers an Expect other than 100-continue with a bare 417.
  server.on('checkExpectation', (req: IncomingMessage, res: ServerResponse) => {
    res.writeHead(417, { 'Content-Type': 'application/json', Connection: 'close' })
    res.end(JSON.stringify(errorBody(`Expectation not supported: ${req.headers.expect}`)))
  })
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve)
    server.once('error', reject)
    server.listen(config.port, config.host)
  })
  const { port } = server.address() as AddressInfo
  const url = `http://${hostname}:${port}`
  for (const line of banner(url, 'node')) log(line)
  return {
    url,
    port,
    close: () => {
      deps.close()
      return new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

/**
 * Requests Node's HTTP parser refuses never reach the app; its default answer is a bare 400 or
 * 431 with no body. Give them the error body every other refusal has.
 */
function answerClientError(err: NodeJS.ErrnoException, socket: Socket) {
  if (err.code === 'ECONNRESET' || !socket.writable) return void socket.destroy()
  const [status, reason, detail] =
    err.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'Request Header Fields Too Large', 'Request headers too large: the limit is 16 KiB']
      : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'Request Timeout', 'Request timed out']
        : [400, 'Bad Request', `Malformed HTTP request (${err.code ?? 'parse error'})`]
  writeRaw(socket, status, reason, detail)
}

/** Node closes a CONNECT (proxy tunnel) request without a word unless someone answers it. */
function answerConnect(req: IncomingMessage, socket: Socket) {
  writeRaw(socket, 405, 'Method Not Allowed', `Method CONNECT not allowed on ${req.url ?? '/'}`)
}

/** A request whose URL cannot be built (`OPTIONS *`, a bad absolute URL) never reaches the app. */
function answerRequestError(err: unknown): Response {
  const bad = err instanceof RequestError
  if (!bad) console.error('pipeline-cron: unexpected error:', err)
  const body = errorBody(bad ? `Malformed request: ${err.message}` : 'Internal server error')
  return new Response(JSON.stringify(body), { status: bad ? 400 : 500, headers: { 'Content-Type': 'application/json' } })
}

function writeRaw(socket: Socket, status: number, reason: string, detail: string) {
  const body = JSON.stringify(errorBody(detail))
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  )
}
