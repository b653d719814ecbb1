/** The script the app serves as assets/dashboard.js: the bundle of src/dashboard/client/, current and self-contained. */
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { buildDashboard, bundleDashboard } from '../../scripts/build-dashboard.mjs'
import { DASHBOARD_ASSETS } from '../../src/dashboard/assets.js'

const CLIENT_DIR = join(import.meta.dirname, '..', '..', 'src', 'dashboard', 'client')
const served = DASHBOARD_ASSETS['dashboard.js'].body

describe('the dashboard bundle', () => {
  it('is what the client modules build to now - the served script is never stale', async () => {
    expect(served).toBe(await bundleDashboard())
    expect((await buildDashboard()).changed).toBe(false)
  })

  it('parses as one classic script with no import, require or bundler helper left', () => {
    expect(() => new Function(served)).not.toThrow()
    expect(served).not.toMatch(/\bimport\s*\(|^\s*import\s|\brequire\(|__vite|__name\(|__require/m)
  })

  it('holds only our own modules - no croner, no zod, nothing from node_modules', () => {
    const modules = [...served.matchAll(/^ {2}\/\/ (\S+\.ts)$/gm)].map((m) => m[1]!)
    expect(modules.length).toBeGreaterThan(10)
    expect(modules.filter((m) => !m.startsWith('src/'))).toEqual([])
    expect(served).not.toMatch(/croner|node_modules|zod/i)
  })

  it('keeps every client module small and free of `any`', () => {
    const problems: string[] = []
    for (const name of readdirSync(CLIENT_DIR).filter((n) => n.endsWith('.ts'))) {
      const text = readFileSync(join(CLIENT_DIR, name), 'utf8')
      const lines = text.split('\n').length
      if (lines > 250) problems.push(`${name}: ${lines} lines`)
      if (/:\s*any\b|as any\b|<any>/.test(text)) problems.push(`${name}: uses any`)
    }
    expect(problems).toEqual([])
  })
})
