/**
 * examples/pipeline-cron.service is a valid systemd unit (`systemd-analyze verify`, from Debian's
 * systemd package) that runs `pipeline-cron serve` with its state and logs where systemd keeps them.
 */
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { systemDep } from '../conformance/support.js'
import { ROOT } from '../helpers/server.js'

const UNIT = join(ROOT, 'examples', 'pipeline-cron.service')
const analyze = spawnSync('systemd-analyze', ['--version'], { stdio: 'ignore' }).status === 0
const dep = systemDep('systemd-analyze', analyze, 'apt-get install -y systemd')

describe('the systemd unit', () => {
  it('runs serve, restarts on failure, keeps state under /var/lib and logs under /var/log', () => {
    const unit = readFileSync(UNIT, 'utf8')
    expect(unit).toMatch(/^ExecStart=.*pipeline-cron serve\b/m)
    expect(unit).toMatch(/^Restart=on-failure$/m)
    expect(unit).toMatch(/^Environment=STATE_DIR=\/var\/lib\/pipeline-cron\//m)
    expect(unit).toMatch(/^Environment=LOG_FILE=\/var\/log\/pipeline-cron\//m)
  })

  it.skipIf(dep.skip)('passes systemd-analyze verify with no warning', () => {
    dep.assert()
    // verify exits non-zero on errors; warnings are only printed, so the output must be empty too.
    const result = spawnSync('systemd-analyze', ['verify', UNIT], { encoding: 'utf8' })
    expect(result.status, result.stderr).toBe(0)
    expect(`${result.stdout}${result.stderr}`.trim()).toBe('')
  })
})
