/** What the dashboard's browser tests share: a page that records its requests and console problems, and bounded text waits. */
import { serve } from '@hono/node-server'
import { Hono } from 'hono'
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, expect } from 'vitest'
import { launchChromium } from '../helpers/browser.js'
import { DIST, ROOT, killDaemonsOf, tempDir, type TestServer } from '../helpers/server.js'
import { waitFor } from '../helpers/wait.js'

/** Screenshots, saved on every run into test-results/ (ignored); UPDATE_SCREENSHOTS=1 refreshes the README's copy. */
export const SHOTS = process.env.UPDATE_SCREENSHOTS ? join(ROOT, 'docs', 'screenshots') : join(ROOT, 'test-results', 'screenshots')

/** One Chromium for a describe block, and the servers its tests start: all ended after the block. */
export function browserSession(): { browser: Browser; servers: TestServer[] } {
  const session = { servers: [] as TestServer[] } as { browser: Browser; servers: TestServer[] }
  beforeAll(async () => {
    session.browser = await launchChromium()
    mkdirSync(SHOTS, { recursive: true })
  })
  afterAll(async () => {
    await session.browser?.close()
    for (const server of session.servers) await server.cleanup()
  })
  return session
}

/** The built app mounted under /cron of a plain Hono app, served in this process (as an embedding user would). */
export async function serveMounted(pipeline: unknown): Promise<{ base: string; close: () => Promise<void> }> {
  const dir = tempDir('pc-embed-')
  const pipelineFile = join(dir, 'pipeline.json')
  writeFileSync(pipelineFile, JSON.stringify(pipeline))
  const core = (await import(pathToFileURL(join(DIST, 'index.js')).href)) as typeof import('../../src/index.js')
  const node = (await import(pathToFileURL(join(DIST, 'node.js')).href)) as typeof import('../../adapters/node/index.js')
  const stateDir = join(dir, 'state')
  const config = core.resolveConfig(['--state-dir', stateDir, '--log-file', join(dir, 'p.log'), '--pipeline', pipelineFile, '--min-interval', '1'], {})
  const parent = new Hono().route('/cron', core.createApp(node.createDeps(config)))
  const server = serve({ fetch: parent.fetch, port: 0, hostname: '127.0.0.1' })
  await new Promise((resolve) => server.once('listening', resolve))
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: async () => {
      // Open event streams would hold close() forever.
      ;(server as { closeAllConnections?: () => void }).closeAllConnections?.()
      await new Promise<void>((resolve) => server.close(() => resolve()))
      killDaemonsOf(stateDir)
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

/** A fresh context and page at `url`; `requests` and `problems` (console errors and warnings) fill as it runs. */
export async function openPage(browser: Browser, url: string, viewport: { width: number; height: number }) {
  const context: BrowserContext = await browser.newContext({ viewport, colorScheme: 'light' })
  const requests: string[] = []
  const problems: string[] = []
  context.on('request', (r) => requests.push(r.url()))
  const page = await context.newPage()
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`)
  })
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`))
  await page.goto(url)
  return { context, page, requests, problems }
}

/** Waits (bounded) until the first match of `selector` shows `expected`; on failure, says what the page shows. */
export async function expectText(page: Page, selector: string, expected: string | RegExp, timeoutMs = 10_000) {
  let last = ''
  await waitFor(
    async () => {
      last = ((await page.locator(selector).first().textContent({ timeout: 1000 })) ?? '').trim()
      return typeof expected === 'string' ? last === expected : expected.test(last)
    },
    { timeoutMs, intervalMs: 50, what: `${selector} to show ${String(expected)}` },
  ).catch(async (err) => {
    const state = await page
      .evaluate(() => ['state-badge', 'notice', 'stream-state', 'log-info'].map((id) => `${id}=${document.getElementById(id)?.textContent}`).join('; '))
      .catch(() => '')
    throw new Error(`${(err as Error).message}; it shows: ${JSON.stringify(last.slice(0, 300))} (page: ${state})`)
  })
}

/** Every request went to the server under test: no CDN, no font, nothing else. */
export function expectOnlyLoopback(requests: string[], base: string) {
  expect(requests.length).toBeGreaterThan(0)
  const origin = new URL(base).origin
  expect(requests.filter((u) => new URL(u).origin !== origin)).toEqual([])
}

/** WCAG AA contrast of every visible text against its nearest opaque background. */
export async function expectContrast(page: Page) {
  const failures = await page.evaluate(() => {
    const parse = (c: string) => {
      const m = /rgba?\(([\d.]+)[, ]+([\d.]+)[, ]+([\d.]+)(?:[, /]+([\d.]+))?/.exec(c)
      return m ? { r: +m[1]!, g: +m[2]!, b: +m[3]!, a: m[4] === undefined ? 1 : +m[4] } : null
    }
    const lum = ({ r, g, b }: { r: number; g: number; b: number }) => {
      const f = (v: number) => ((v /= 255) <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4)
      return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b)
    }
    const background = (e: Element | null): { r: number; g: number; b: number } => {
      for (; e; e = e.parentElement) {
        const c = parse(getComputedStyle(e).backgroundColor)
        if (c && c.a >= 0.99) return c
      }
      return parse(getComputedStyle(document.body).backgroundColor) ?? { r: 255, g: 255, b: 255 }
    }
    const out: string[] = []
    for (const e of document.querySelectorAll('body *')) {
      const text = [...e.childNodes].filter((n) => n.nodeType === 3).map((n) => n.textContent).join('').trim()
      if (!text || !(e as HTMLElement).offsetParent || e.closest('button:disabled, .sr-only, [hidden], svg, dialog:not([open])')) continue
      const style = getComputedStyle(e)
      const fg = parse(style.color)
      if (!fg) continue
      const l1 = lum(fg)
      const l2 = lum(background(e))
      const ratio = (Math.max(l1, l2) + 0.05) / (Math.min(l1, l2) + 0.05)
      const large = parseFloat(style.fontSize) >= 24 || (parseFloat(style.fontSize) >= 18.66 && +style.fontWeight >= 700)
      if (ratio < (large ? 3 : 4.5)) out.push(`${e.tagName}#${e.id}.${e.className}: "${text.slice(0, 30)}" ${ratio.toFixed(2)}`)
    }
    return out
  })
  expect(failures).toEqual([])
}
