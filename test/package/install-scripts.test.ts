/**
 * `npm ci` prints no "install scripts not yet covered by allowScripts" warning: every package in
 * the lock file with an install script is approved (its script is needed) or denied in
 * package.json. Asked of npm itself (`npm ci --dry-run` on a copy of package.json and the lock
 * file), since which keys it accepts is npm's to say: npm 11 ignores `name@version` keys.
 */
import { execFileSync } from 'node:child_process'
import { copyFileSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ROOT, tempDir } from '../helpers/server.js'

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { allowScripts?: Record<string, boolean> }
const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { version?: string; hasInstallScript?: boolean }> }

const withScripts = Object.entries(lock.packages)
  .filter(([path, p]) => path && p.hasInstallScript)
  .map(([path]) => path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length))

describe('allowScripts', () => {
  it('leaves npm ci nothing to warn about - npm ci --dry-run on a copy of package.json and the lock file', { timeout: 60_000 }, (ctx) => {
    const dir = tempDir('pc-allow-scripts-')
    ctx.onTestFinished(() => rmSync(dir, { recursive: true, force: true }))
    for (const file of ['package.json', 'package-lock.json']) copyFileSync(join(ROOT, file), join(dir, file))
    // npm writes its warnings to stderr: read it with stdout.
    const out = execFileSync('sh', ['-c', 'npm ci --dry-run --no-audit --no-fund 2>&1'], { cwd: dir, encoding: 'utf8' })
    expect(out).toMatch(/added \d+ packages/)
    expect(out.split('\n').filter((l) => /install-scripts|allowScripts/.test(l))).toEqual([])
  })

  it('names every locked package with an install script, and runs only those that fetch real binaries (bun, esbuild)', () => {
    const allow = pkg.allowScripts ?? {}
    expect(withScripts.length).toBeGreaterThan(0)
    expect(withScripts.filter((name) => !(name in allow))).toEqual([])
    expect(Object.entries(allow).filter(([, yes]) => yes).map(([name]) => name).sort()).toEqual(['bun', 'esbuild'])
  })
})
