/** The limit for the HTTP bench: bare node:http answering one fixed JSON body, nothing else. */
import http from 'node:http'
import type { AddressInfo } from 'node:net'

const body = JSON.stringify({ status: 'healthy', timestamp: '2026-01-01T00:00:00.000Z' })
const server = http.createServer((_req, res) => {
  res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) })
  res.end(body)
})
server.listen(0, '127.0.0.1', () => {
  console.log(`bare node:http listening on http://127.0.0.1:${(server.address() as AddressInfo).port}`)
})
