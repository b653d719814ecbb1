// A webhook receiver that checks the signature (Node, no dependency).
// HOOK_SECRET=... node webhook-receiver.mjs   (PORT: default 9000)
import { createHmac, timingSafeEqual } from 'node:crypto'
import { createServer } from 'node:http'

const server = createServer((req, res) => {
  const chunks = []
  req.on('data', (c) => chunks.push(c)).on('end', () => {
    const body = Buffer.concat(chunks)
    const expected = Buffer.from(`sha256=${createHmac('sha256', process.env.HOOK_SECRET).update(body).digest('hex')}`)
    const given = Buffer.from(req.headers['x-pipeline-cron-signature'] ?? '')
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return res.writeHead(401).end()
    const { event, pipeline, run } = JSON.parse(body)
    console.log(`${pipeline}: ${event} (run ${run.id}, ${run.status})`)
    res.writeHead(204).end()
  })
})
server.listen(Number(process.env.PORT ?? 9000), '127.0.0.1', () => {
  console.log(`webhook receiver listening on http://127.0.0.1:${server.address().port}/`)
})
