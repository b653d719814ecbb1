/**
 * Without --redis nothing of cluster mode is loaded: BullMQ and ioredis are imported only under
 * adapters/redis, and nothing outside it imports that folder except through a dynamic import().
 */
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ROOT } from '../helpers/server.js'

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    return statSync(path).isDirectory() ? files(path) : /\.tsx?$/.test(name) ? [path] : []
  })
}

describe('cluster mode stays out of the local mode', () => {
  const sources = [...files(join(ROOT, 'src')), ...files(join(ROOT, 'adapters'))]
  const outside = sources.filter((f) => !f.startsWith(join(ROOT, 'adapters', 'redis')))

  it('imports bullmq and ioredis only under adapters/redis', () => {
    const offenders = outside.filter((f) => /from\s+['"](bullmq|ioredis)['"]|import\(\s*['"](bullmq|ioredis)['"]/.test(readFileSync(f, 'utf8')))
    expect(offenders.map((f) => relative(ROOT, f))).toEqual([])
  })

  it('reaches adapters/redis from outside only with a dynamic import()', () => {
    const offenders = outside.filter((f) => /^\s*(import|export)\s[^'"]*from\s+['"][^'"]*\/redis\//m.test(readFileSync(f, 'utf8')))
    expect(offenders.map((f) => relative(ROOT, f))).toEqual([])
    const dynamic = outside.filter((f) => /import\(\s*['"][^'"]*\/redis\/[^'"]+['"]\s*\)/.test(readFileSync(f, 'utf8')))
    expect(dynamic.length).toBeGreaterThan(0)
  })
})
