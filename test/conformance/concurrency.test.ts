/**
 * Start and stop are serialised across requests and across servers: concurrent starts make
 * exactly one daemon, concurrent stops stop it once.
 */
import { describe, expect, it } from 'vitest'
import { call, daemonPidsOf, expectError, quickPipeline, serverForTest, treeOf, readState } from './support.js'

const startBody = { json: { interval_seconds: 3600 } }

describe('concurrency', () => {
  it('answers exactly one 200 and 409 to the rest, with one daemon - 20 concurrent starts', async () => {
    const server = await serverForTest({ pipeline: quickPipeline() })
    const answers = await Promise.all(Array.from({ length: 20 }, () => call(server.url, 'POST', '/api/cron/start', startBody)))
    const ok = answers.filter((a) => a.status === 200)
    expect(ok, answers.map((a) => `${a.status} ${a.text}`).join('\n')).toHaveLength(1)
    for (const a of answers.filter((a) => a.status !== 200)) expectError(a, 409)
    const pid = Number(/PID: (\d+)/.exec(ok[0]!.body.message)![1])
    expect(daemonPidsOf(server.stateDir)).toEqual([pid])
    expect((await call(server.url, 'GET', '/api/cron/status')).body.pid).toBe(pid)
  })

  it('makes one daemon - concurrent starts through two servers on one state dir', async () => {
    const a = await serverForTest({ pipeline: quickPipeline() })
    const b = await serverForTest({ dir: a.dir })
    const answers = await Promise.all(
      Array.from({ length: 10 }, (_, i) => call(i % 2 ? a.url : b.url, 'POST', '/api/cron/start', startBody)),
    )
    expect(answers.filter((x) => x.status === 200)).toHaveLength(1)
    for (const x of answers.filter((x) => x.status !== 200)) expectError(x, 409)
    expect(daemonPidsOf(a.stateDir)).toHaveLength(1)
  })

  it('answers exactly one 200 and 409 to the rest, with nothing left - 10 concurrent stops', async () => {
    const server = await serverForTest({ pipeline: quickPipeline() })
    expect((await call(server.url, 'POST', '/api/cron/start', startBody)).status).toBe(200)
    const instanceId = readState(server)!.instance_id
    const answers = await Promise.all(Array.from({ length: 10 }, () => call(server.url, 'POST', '/api/cron/stop')))
    expect(answers.filter((x) => x.status === 200)).toHaveLength(1)
    for (const x of answers.filter((x) => x.status !== 200)) expectError(x, 409)
    expect(daemonPidsOf(server.stateDir)).toEqual([])
    expect(treeOf(instanceId)).toEqual([])
  })
})
