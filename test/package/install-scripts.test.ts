/**
 * `npm ci` prints no "install scripts not yet covered by allowScripts" warning: every package in
 * the lock file with an install script is approved (its script is needed) or denied in package.json.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ROOT } from '../helpers/server.js'

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { allowScripts?: Record<string, boolean> }
const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { version?: string; hasInstallScript?: boolean }> }

const withScripts = Object.entries(lock.packages)
  .filter(([path, p]) => path && p.hasInstallScript)
  .map(([path, p]) => ({ name: path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length), version: p.version! }))

describe('allowScripts', () => {
  it('covers every locked package with an install script, by name or name@version', () => {
    const allow = pkg.allowScripts ?? {}
    expect(withScripts.length).toBeGreaterThan(0)
    expect(withScripts.filter(({ name, version }) => !(name in allow) && !(`${name}@${version}` in allow)).map((p) => `${p.name}@${p.version}`)).toEqual([])
  })

  it('runs the install scripts that fetch real binaries (bun, esbuild) and no other', () => {
    const allowed = Object.entries(pkg.allowScripts ?? {}).filter(([, yes]) => yes).map(([key]) => key.replace(/(.)@.*$/, '$1'))
    expect(allowed.sort()).toEqual(['bun', 'esbuild'])
  })
})
