import { existsSync } from 'node:fs'
import { chromium, type Browser } from 'playwright-core'
import { describe, expect, it } from 'vitest'

/** Debian's chromium: browser tests never download a browser of their own. */
export const CHROMIUM = '/usr/bin/chromium'
export const hasChromium = existsSync(CHROMIUM)

// Background networking off: this machine's closed network refuses Chromium's own connections.
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync']

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: ARGS })
}

/**
 * Says loudly that `what` is skipped when chromium is missing, and turns the skip into a failing
 * test when PIPELINE_CRON_REQUIRE_SYSTEM_DEPS=1 (as CI sets it). Returns whether to run.
 */
export function requireChromium(what: string): boolean {
  if (hasChromium) return true
  console.warn(
    `\n${'!'.repeat(78)}\n!! SKIPPING the ${what} browser tests: ${CHROMIUM} is missing.\n` +
      `!! Install it with: apt-get update && apt-get install -y chromium\n${'!'.repeat(78)}\n`,
  )
  describe.runIf(process.env.PIPELINE_CRON_REQUIRE_SYSTEM_DEPS === '1')(`${what} in a browser (chromium required)`, () => {
    it(`fails - PIPELINE_CRON_REQUIRE_SYSTEM_DEPS=1 and ${CHROMIUM} is missing`, () => {
      expect.fail(`${CHROMIUM} is missing; install it with: apt-get install -y chromium`)
    })
  })
  return false
}
