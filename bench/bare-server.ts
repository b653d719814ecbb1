/**
 * The limit for the HTTP bench: bare node:http answering one fixed JSON body, nothing else.
 * `/bytes/N` answers a fixed JSON body of N bytes instead: the limit for an answer that large.
 */
import http from 'node:http'
import type { AddressInfo } from 'node:net'

const body = JSON.stringify({ status: 'healthy', timestamp: '2026-01-01T00:00:00.000Z' })
const sized = new Map<number, string>()
const server = http.createServer((req, res) => {
  const size = /^\/bytes\/(\d{1,7})$/.exec(req.url ?? '')?.[1]
  const answer = size ? bodyOf(Number(size)) : body
  res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(answer) })
  res.end(answer)
})
server.listen(0, '127.0.0.1', () => {
  console.log(`bare node:http listening on http://127.0.0.1:${(server.address() as AddressInfo).port}`)
})

/** A JSON string of exactly `n` bytes (at least 8), built once per size. */
function bodyOf(n: number): string {
  let text = sized.get(n)
  if (!text) sized.set(n, (text = `{"x":"${'x'.repeat(Math.max(n - 8, 0))}"}`))
  return text
}
