/**
 * /docs (Swagger UI) and /redoc in a real browser (Debian's chromium through playwright-core),
 * on the real built server and on the app mounted under /cron of another server: the routes
 * render, "Try it out" reaches the API under the prefix, and no request leaves 127.0.0.1.
 */
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startServer, type TestServer } from '../helpers/server.js'
import { launchChromium, requireChromium } from '../helpers/browser.js'
import { waitFor } from '../helpers/wait.js'
import { serveMounted } from './support.js'

const hasChromium = requireChromium('API docs')
const pipeline = { name: 'docs-test', steps: [{ name: 'noop', run: 'true' }] }

describe.runIf(hasChromium)('API docs in a browser', () => {
  let browser: Browser
  let server: TestServer
  let mounted: { base: string; close: () => Promise<void> }

  beforeAll(async () => {
    browser = await launchChromium()
    server = await startServer({ pipeline, args: ['--token', 'docs-token'] })
    mounted = await serveMounted(pipeline)
  })

  afterAll(async () => {
    await browser?.close()
    await server?.cleanup()
    await mounted?.close()
  })

  it.each([
    ['at the root', () => server.url],
    ['under /cron of another server', () => `${mounted.base}/cron`],
  ])('renders every route in Swagger UI with no outside request - %s', { timeout: 60_000 }, async (_, base) => {
    const { page, requests, failures, close } = await open(`${base()}/docs`)
    try {
      await waitFor(() => page.getByText('/api/cron/start', { exact: true }).first().isVisible(), { timeoutMs: 20_000, what: 'Swagger UI to render the routes' })
      for (const path of ['/api/cron/stop', '/api/cron/logs/tail', '/health']) expect(await page.getByText(path, { exact: true }).count(), path).toBeGreaterThan(0)
      expect(await page.title()).toContain('pipeline-cron API')
      expectLocalOnly(requests, failures)
      expect(requests).toEqual(expect.arrayContaining([`${base()}/openapi.json`, `${base()}/docs/assets/swagger-ui-bundle.js`, `${base()}/docs/assets/favicon-32x32.png`]))
    } finally {
      await close()
    }
  })

  it('runs "Try it out" against the API under the prefix', { timeout: 60_000 }, async () => {
    const base = `${mounted.base}/cron`
    const { page, requests, failures, close } = await open(`${base}/docs#/health/getHealth`)
    try {
      const operation = page.locator('#operations-health-getHealth')
      await waitFor(() => operation.isVisible(), { timeoutMs: 20_000, what: 'the GET /health operation' })
      if (!(await operation.locator('.try-out__btn').isVisible())) await operation.locator('.opblock-summary').click()
      await operation.locator('.try-out__btn').click()
      await operation.locator('.execute').click()
      const live = operation.locator('.live-responses-table tbody')
      await waitFor(async () => (await live.locator('.response-col_status').first().textContent({ timeout: 1000 }))?.trim() === '200', {
        timeoutMs: 15_000,
        what: 'the response to /health',
      })
      expect(await live.locator('.highlight-code').first().textContent()).toContain('"healthy"')
      expect(requests).toContain(`${base}/health`)
      expectLocalOnly(requests, failures)
    } finally {
      await close()
    }
  })

  it.each([
    ['at the root', () => server.url],
    ['under /cron of another server', () => `${mounted.base}/cron`],
  ])('renders every route in ReDoc with no outside request - %s', { timeout: 60_000 }, async (_, base) => {
    const { page, requests, failures, close } = await open(`${base()}/redoc`)
    try {
      await waitFor(() => page.getByText('/api/cron/start', { exact: true }).first().isVisible(), { timeoutMs: 20_000, what: 'ReDoc to render the routes' })
      expect(await page.getByText('Start the pipeline daemon').count()).toBeGreaterThan(0)
      expectLocalOnly(requests, failures)
      expect(requests).toEqual(expect.arrayContaining([`${base()}/openapi.json`, `${base()}/docs/assets/redoc.standalone.js`]))
    } finally {
      await close()
    }
  })

  /** Opens a page in a fresh context, recording every request and every failed one. */
  async function open(url: string) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } })
    const requests: string[] = []
    const failures: string[] = []
    context.on('request', (r) => requests.push(r.url()))
    context.on('requestfailed', (r) => failures.push(`${r.url()}: ${r.failure()?.errorText}`))
    context.on('response', (r) => {
      if (r.status() >= 400) failures.push(`${r.url()}: HTTP ${r.status()}`)
    })
    const page: Page = await context.newPage()
    await page.goto(url)
    return { page, requests, failures, close: () => context.close() }
  }
})

/** Every request went to 127.0.0.1 (inline data: and blob: URLs stay in the page) and none failed. */
function expectLocalOnly(requests: string[], failures: string[]) {
  const outside = requests.filter((u) => {
    const url = new URL(u)
    return url.protocol !== 'data:' && url.protocol !== 'blob:' && url.hostname !== '127.0.0.1'
  })
  expect(outside).toEqual([])
  expect(failures).toEqual([])
}
