/**
 * The dashboard in a real browser (Debian's chromium through playwright-core) against the real
 * built server and a real daemon: start from the form, live log over SSE, history, run now,
 * clear, stop, the token prompt, a 100k-line flood, phone width, and no request to another host.
 */
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { FIXTURES, startServer } from '../helpers/server.js'
import { requireChromium } from '../helpers/browser.js'
import { browserSession, expectContrast, expectOnlyLoopback, expectText, openPage, serveMounted, SHOTS } from './support.js'
import { waitFor } from '../helpers/wait.js'

const hasChromium = requireChromium('dashboard')
const TOKEN = 'dashboard-test-token-42'

describe.runIf(hasChromium)('dashboard in a browser', () => {
  const session = browserSession()

  it('starts from the form, streams the log, records runs, runs now, clears and stops', { timeout: 60_000 }, async () => {
    const server = await startServer({
      pipeline: {
        name: 'dashboard-test',
        steps: [
          { name: 'extract', run: ['node', join(FIXTURES, 'print-lines.mjs'), '6', '0', 'extract'] },
          { name: 'validate', run: ['node', join(FIXTURES, 'print-lines.mjs'), '2', '2', 'validate'] },
          { name: 'load', run: ['node', join(FIXTURES, 'sleep.mjs'), '1'] },
        ],
      },
    })
    session.servers.push(server)
    const { context, page, requests, problems } = await openPage(session.browser, server.url + '/', { width: 1280, height: 1000 })

    await expectText(page, '#state-badge', /Stopped/)
    await expectText(page, '#log-info', /0 lines shown/)

    // An invalid interval: the API's detail sits next to the field and is wired to it.
    const interval = page.getByLabel('Interval in seconds')
    await interval.fill('0')
    await page.getByRole('button', { name: 'Start daemon' }).click()
    await expectText(page, '#interval-error', 'interval_seconds: must be an integer >= 1')
    expect(await interval.getAttribute('aria-invalid')).toBe('true')
    expect(await interval.getAttribute('aria-describedby')).toContain('interval-error')
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('interval')

    // The same for a cron expression, next to its own field; back to the interval mode.
    await page.getByLabel('On a cron schedule').check()
    await page.getByLabel('Cron expression').fill('every tuesday')
    await page.getByRole('button', { name: 'Start daemon' }).click()
    await expectText(page, '#cron-error', /^cron: invalid cron expression/)
    expect(await page.locator('#cron').getAttribute('aria-invalid')).toBe('true')
    await page.getByLabel('Every N seconds').check()
    expect(await page.locator('#cron').isHidden()).toBe(true)
    expect(await interval.isVisible()).toBe(true)

    // A valid one starts the daemon; the error goes away.
    await interval.fill('30')
    await page.getByRole('button', { name: 'Start daemon' }).click()
    await expectText(page, '#notice', /Daemon started successfully with interval: 30 seconds \(PID: \d+\)/)
    expect(await page.locator('#interval-error').isHidden()).toBe(true)
    await expectText(page, '#state-badge', /Running/)
    await expectText(page, '#f-pid', /^\d+$/)
    await expectText(page, '#f-schedule', 'interval: 30 seconds')

    // The live log streams in; stderr lines are marked; the step in progress shows.
    await expectText(page, '#log', /Pipeline execution started/)
    const stderr = page.locator('#log .line.stderr').first()
    await expectText(page, '#log .line.stderr', /\[stderr\] validate err 1/)
    expect(await stderr.evaluate((e) => getComputedStyle(e).backgroundColor)).not.toBe(
      await page.locator('#log .line:not(.stderr)').first().evaluate((e) => getComputedStyle(e).backgroundColor),
    )
    await expectText(page, '#f-current', /Step 3 of 3: load, .* elapsed/)

    // The run lands in the history table and the chart; the countdown runs.
    await expectText(page, '#runs-body', /success/)
    await expectText(page, '#f-last', /success.*finished.*took/)
    expect(await page.locator('#chart rect.bar.f-success').count()).toBe(1)
    await expectText(page, '#f-next .countdown', /^in \d+:\d\d$/)
    const before = await page.locator('#f-next .countdown').textContent()
    await waitFor(async () => (await page.locator('#f-next .countdown').textContent()) !== before, { what: 'the countdown to move' })

    // Run now: a manual run appears.
    const runNow = page.getByRole('button', { name: 'Run now' })
    await waitFor(() => runNow.isEnabled(), { what: 'Run now to be enabled' })
    await runNow.click()
    await expectText(page, '#notice', 'Run started')
    await waitFor(async () => (await page.locator('#runs-body tr').count()) === 2 && /manual/.test((await page.locator('#runs-body tr').first().textContent()) ?? ''), {
      timeoutMs: 15_000,
      what: 'a manual run in the history',
    })
    await expectText(page, '#runs-body tr:first-child', /success/, 15_000)

    // A run's details: its steps and its own log.
    await page.locator('#runs-body tr').nth(1).getByRole('button').click()
    await expectText(page, '#run-detail-summary', /Scheduled run/)
    await waitFor(async () => (await page.locator('#run-steps tr').count()) === 3, { what: 'three steps' })
    await expectText(page, '#run-steps', /extract.*success.*validate.*success.*load.*success/s)
    await expectText(page, '#run-log', /Pipeline execution finished: success \(3\/3 steps/)
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('run-detail-h')

    // The filter shows matching lines only.
    await page.getByLabel('Filter').fill('validate err')
    await waitFor(async () => {
      const lines = await page.locator('#log .line').allTextContents()
      return lines.length === 4 && lines.every((l) => l.includes('validate err'))
    }, { what: 'the filter to apply' })
    await page.getByLabel('Filter').fill('')
    await waitFor(async () => (await page.locator('#log .line').count()) > 20, { what: 'the filter to clear' })

    await page.getByLabel('Filter').blur()
    await page.screenshot({ path: join(SHOTS, 'dashboard-desktop.png'), fullPage: true })
    await page.emulateMedia({ colorScheme: 'dark' })
    await expectContrast(page)
    await page.screenshot({ path: join(SHOTS, 'dashboard-dark.png'), fullPage: true })
    await page.emulateMedia({ colorScheme: 'light' })
    await expectContrast(page)

    // Auto-scroll held through the re-render, the screenshots and the colour-scheme changes.
    await waitFor(() => page.locator('#log').evaluate((e) => e.scrollTop > 0 && e.scrollTop + e.clientHeight >= e.scrollHeight - 2), { what: 'the log at its bottom' })
    // Scrolled up (by the wheel, as a reader does), auto-scroll pauses; new lines offer "Jump to latest".
    await page.locator('#log').hover()
    await page.mouse.wheel(0, -20_000)
    await waitFor(() => page.locator('#log').evaluate((e) => e.scrollTop === 0), { what: 'the log to scroll to the top' })
    await expectText(page, '#jump', 'Jump to latest')
    expect(await page.locator('#jump').isVisible()).toBe(true)
    await waitFor(() => runNow.isEnabled(), { what: 'Run now to be enabled' })
    await runNow.click()
    await expectText(page, '#jump', /Jump to latest \(\d+ new\)/)
    expect(await page.locator('#jump').isVisible()).toBe(true)
    expect(await page.locator('#log').evaluate((e) => e.scrollTop)).toBe(0)
    await page.locator('#jump').click()
    expect(await page.locator('#log').evaluate((e) => e.scrollTop + e.clientHeight >= e.scrollHeight - 24)).toBe(true)
    await waitFor(async () => (await page.locator('#runs-body tr').count()) === 3 && /success/.test((await page.locator('#runs-body tr').first().textContent()) ?? ''), {
      timeoutMs: 15_000,
      what: 'the third run to finish',
    })

    // Phone width: one column, nothing wider than the screen.
    await page.setViewportSize({ width: 375, height: 800 })
    await waitFor(() => page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), { what: 'no horizontal overflow at 375 px' })
    await page.screenshot({ path: join(SHOTS, 'dashboard-phone.png'), fullPage: true })
    await page.setViewportSize({ width: 1280, height: 1000 })

    // Clear logs asks first; cancel keeps them, confirm clears them (the stream says so).
    await page.getByRole('button', { name: 'Clear logs…' }).click()
    await page.getByRole('dialog', { name: 'Clear the log?' }).getByRole('button', { name: 'Cancel' }).click()
    expect(await page.locator('#log .line').count()).toBeGreaterThan(20)
    await page.getByRole('button', { name: 'Clear logs…' }).click()
    await page.getByRole('dialog', { name: 'Clear the log?' }).getByRole('button', { name: 'Clear logs' }).click()
    await expectText(page, '#notice', 'Logs cleared successfully')
    await waitFor(async () => !/Pipeline execution/.test((await page.locator('#log').textContent()) ?? ''), { what: 'the log view to clear' })

    // Stop, by keyboard.
    await page.getByRole('button', { name: 'Clear logs…' }).focus()
    await page.keyboard.press('Shift+Tab')
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('stop')
    expect(await page.evaluate(() => getComputedStyle(document.activeElement!).outlineStyle)).not.toBe('none')
    await page.keyboard.press('Enter')
    await expectText(page, '#notice', 'Daemon stopped successfully', 15_000)
    await expectText(page, '#state-badge', /Stopped/)
    await expectText(page, '#log', /stop/i)

    // The 400 of the invalid interval is the only expected console noise.
    expect(problems.filter((p) => !/status of 400/.test(p))).toEqual([])
    expectOnlyLoopback(requests, server.url)
    await context.close()
  })

  it('asks for the token on 401, keeps it for the tab, and stays responsive through 100k log lines', { timeout: 60_000 }, async () => {
    const server = await startServer({
      args: ['--token', TOKEN],
      pipeline: { name: 'flood', steps: [{ name: 'flood', run: ['node', join(FIXTURES, 'write-fast.mjs'), '100000'] }] },
    })
    session.servers.push(server)
    const { context, page, requests, problems } = await openPage(session.browser, server.url + '/', { width: 1280, height: 900 })

    // A wrong token is refused and asked again, with the server's reason.
    const dialog = page.getByRole('dialog', { name: 'API token needed' })
    await dialog.waitFor()
    await expectText(page, '#token-error', /Authentication required/)
    await dialog.getByLabel('Bearer token').fill('wrong-token')
    await dialog.getByRole('button', { name: 'Use token' }).click()
    await expectText(page, '#token-error', /refused the token: Invalid token/)
    await dialog.getByLabel('Bearer token').fill(TOKEN)
    await dialog.getByLabel('Bearer token').press('Enter')
    await expectText(page, '#state-badge', /Stopped/)
    await expectText(page, '#stream-state', 'live')
    expect(await page.evaluate(() => sessionStorage.getItem('pipeline-cron.token'))).toBe(TOKEN)

    // Kept for the tab: a reload asks no more.
    await page.reload()
    await expectText(page, '#state-badge', /Stopped/)
    expect(await dialog.isVisible()).toBe(false)

    // 100k lines: the page keeps answering and the DOM keeps at most 5,000 of them.
    await page.evaluate(() => {
      const w = window as unknown as { maxGap: number }
      w.maxGap = 0
      let last = performance.now()
      setInterval(() => {
        const now = performance.now()
        w.maxGap = Math.max(w.maxGap, now - last)
        last = now
      }, 50)
    })
    await page.getByLabel('Interval in seconds').fill('3600')
    await page.getByRole('button', { name: 'Start daemon' }).click()
    await expectText(page, '#state-badge', /Running/)
    await waitFor(() => page.locator('#log').evaluate((e) => e.textContent!.includes('] [stdout] fast 100000')), {
      timeoutMs: 40_000,
      intervalMs: 200,
      what: 'the last of 100k lines in the view',
    })
    expect(await page.locator('#log .line').count()).toBeLessThanOrEqual(5000)
    await expectText(page, '#log-info', /5,000 lines shown of 10\d,\d{3} received/)
    const maxGap = await page.evaluate(() => (window as unknown as { maxGap: number }).maxGap)
    // Generous for a busy two-core machine; rendering every line at once froze it for 3 s and more.
    expect(maxGap).toBeLessThan(2500)
    await expectText(page, '#runs-body', /success/, 15_000)

    await page.getByRole('button', { name: 'Stop daemon' }).click()
    await expectText(page, '#notice', 'Daemon stopped successfully', 15_000)

    // The 401s of the first load are the only expected console noise.
    expect(problems.filter((p) => !/status of 401/.test(p))).toEqual([])
    expectOnlyLoopback(requests, server.url)
    await context.close()
  })

  it('works mounted under a prefix of another server, with and without the trailing slash', { timeout: 30_000 }, async () => {
    const mounted = await serveMounted({ name: 'embedded', steps: [{ name: 'hello', run: ['node', join(FIXTURES, 'print-lines.mjs'), '2'] }] })
    try {
      const { context, page, requests, problems } = await openPage(session.browser, `${mounted.base}/cron`, { width: 1024, height: 800 })
      expect(new URL(page.url()).pathname).toBe('/cron/')
      await expectText(page, '#state-badge', /Stopped/)
      await expectText(page, '#stream-state', 'live')
      await expectText(page, '#runs-body', 'No runs yet.')
      expect(await page.locator('link[rel=stylesheet]').evaluate((l) => (l as HTMLLinkElement).sheet?.cssRules.length ?? 0)).toBeGreaterThan(10)
      await page.getByRole('button', { name: 'Start daemon' }).click()
      await expectText(page, '#notice', /Daemon started successfully/)
      await expectText(page, '#log', /Pipeline execution started/)
      await page.getByRole('button', { name: 'Stop daemon' }).click()
      await expectText(page, '#notice', 'Daemon stopped successfully', 15_000)
      expect(requests.filter((u) => !new URL(u).pathname.startsWith('/cron'))).toEqual([])
      expect(problems).toEqual([])
      expectOnlyLoopback(requests, mounted.base)
      await context.close()
    } finally {
      await mounted.close()
    }
  })
})
