/**
 * The dashboard with several pipelines, in a real browser against the real built server and
 * daemon: the list, opening one (#pipeline=name, kept across a reload), starting it from the
 * page, the way back; and pause / resume with one pipeline, where the page looks as before.
 */
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { requireChromium } from '../helpers/browser.js'
import { FIXTURES, call, startServer } from '../helpers/server.js'
import { waitFor } from '../helpers/wait.js'
import { browserSession, expectContrast, expectOnlyLoopback, expectText, openPage, SHOTS } from './support.js'

const hasChromium = requireChromium('dashboard (many pipelines)')

const printing = (name: string, out: number, err: number) => ({
  name,
  steps: [{ name: 'say', run: ['node', join(FIXTURES, 'print-lines.mjs'), String(out), String(err), name] }],
})

describe.runIf(hasChromium)('dashboard with several pipelines, in a browser', () => {
  const session = browserSession()

  it('lists every pipeline with its state, opens one, starts it from the page, keeps it across a reload and goes back', { timeout: 60_000 }, async () => {
    const server = await startServer({ pipelines: { alpha: printing('alpha', 3, 1), beta: printing('beta', 2, 0) } })
    session.servers.push(server)
    // beta is started by another client; alpha stays stopped.
    expect((await call(server.url, 'POST', '/api/pipelines/beta/start', { json: { interval_seconds: 3600 } })).status).toBe(200)
    const { context, page, requests, problems } = await openPage(session.browser, server.url + '/', { width: 1280, height: 900 })

    // The list: one row per pipeline, sorted by name, with state, next run and last run.
    await waitFor(() => page.locator('#pipelines-view').isVisible(), { what: 'the list of pipelines' })
    expect(await page.locator('#pipeline-view').isHidden()).toBe(true)
    expect(await page.locator('#pipelines-body tr').evaluateAll((trs) => trs.map((tr) => (tr as HTMLElement).dataset.name))).toEqual(['alpha', 'beta'])
    const alphaRow = 'tr[data-name="alpha"]'
    const betaRow = 'tr[data-name="beta"]'
    await expectText(page, `${alphaRow} .state`, '■ stopped')
    await expectText(page, `${alphaRow} .next`, '–')
    await expectText(page, `${alphaRow} .last`, 'none yet')
    await expectText(page, `${betaRow} .state`, /^● running/)
    await expectText(page, `${betaRow} .next .countdown`, /^in (59:\d\d|1:00:00)$/)
    await expectText(page, `${betaRow} .last`, /✓ success/, 15_000)
    await expectText(page, '#state-badge', '1 of 2 running')
    await page.screenshot({ path: join(SHOTS, 'dashboard-pipelines.png'), clip: { x: 0, y: 0, width: 1280, height: 260 } })
    await expectContrast(page)
    await page.emulateMedia({ colorScheme: 'dark' })
    await expectContrast(page)
    await page.emulateMedia({ colorScheme: 'light' })

    // Open alpha: its own view, named in the header and in the URL.
    await page.getByRole('link', { name: 'alpha', exact: true }).click()
    expect(new URL(page.url()).hash).toBe('#pipeline=alpha')
    await waitFor(() => page.locator('#pipeline-view').isVisible(), { what: "alpha's view" })
    expect(await page.locator('#pipelines-view').isHidden()).toBe(true)
    await expectText(page, '#pipeline-name', 'alpha')
    await expectText(page, '#state-badge', /Stopped/)
    await expectText(page, '#runs-body', 'No runs yet.')

    // Start it from the page: its log and its history, not beta's.
    await page.getByLabel('Interval in seconds').fill('3600')
    await page.getByRole('button', { name: 'Start daemon' }).click()
    await expectText(page, '#notice', /Daemon started successfully with interval: 3600 seconds/)
    await expectText(page, '#log .line.stderr', /\] \[stderr\] alpha err 1$/)
    await expectText(page, '#runs-body', /success/, 15_000)
    await expectText(page, '#f-schedule', 'interval: 3600 seconds')
    expect(await page.locator('#log').textContent()).not.toContain('beta out')
    expect(await page.title()).toMatch(/pipeline-cron \/ alpha: (running|step 1\/1)/)

    // A reload keeps alpha on screen.
    await page.reload()
    await expectText(page, '#pipeline-name', 'alpha')
    await expectText(page, '#state-badge', /Running/)
    expect(await page.locator('#pipelines-view').isHidden()).toBe(true)
    await expectText(page, '#log', /alpha out 3/)

    // The skip link moves the focus to the log and leaves the fragment (and the view) alone.
    await page.locator('.skip-link').focus()
    await page.keyboard.press('Enter')
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('log')
    expect(new URL(page.url()).hash).toBe('#pipeline=alpha')
    expect(await page.locator('#pipeline-view').isVisible()).toBe(true)

    // Back to the list, where alpha now runs too.
    await page.getByRole('link', { name: '← All pipelines' }).click()
    await waitFor(() => page.locator('#pipelines-view').isVisible(), { what: 'the list again' })
    expect(await page.locator('#pipeline-view').isHidden()).toBe(true)
    await expectText(page, '#state-badge', '2 of 2 running')
    await expectText(page, `${alphaRow} .last`, /✓ success/)

    // A name no pipeline has: the list, saying so.
    await page.evaluate(() => (location.hash = '#pipeline=nope'))
    await expectText(page, '#pipelines-note', 'There is no pipeline named “nope”.')
    expect(await page.locator('#pipelines-view').isVisible()).toBe(true)

    const paths = requests.map((u) => new URL(u).pathname)
    expect(paths).toContain('/api/pipelines/alpha/status')
    expect(paths).toContain('/api/pipelines/alpha/logs/stream')
    expect(paths.filter((p) => p.startsWith('/api/cron/'))).toEqual([])
    expect(problems).toEqual([])
    expectOnlyLoopback(requests, server.url)
    await context.close()
  })

  it('pauses and resumes from the page with one pipeline (no list), and shows the 409 detail - another client paused first', { timeout: 60_000 }, async () => {
    const server = await startServer({ pipeline: printing('solo', 2, 0) })
    session.servers.push(server)
    const { context, page, requests, problems } = await openPage(session.browser, server.url + '/', { width: 1280, height: 900 })

    // One pipeline: its view, as the page always looked; no list, no way "back".
    await expectText(page, '#state-badge', /Stopped/)
    expect(await page.locator('#pipelines-view').isHidden()).toBe(true)
    expect(await page.locator('#crumbs').isHidden()).toBe(true)
    const pause = page.locator('#pause')
    expect(await pause.isDisabled()).toBe(true)

    await page.getByLabel('Interval in seconds').fill('3600')
    await page.getByRole('button', { name: 'Start daemon' }).click()
    await expectText(page, '#state-badge', /Running/)
    await waitFor(() => pause.isEnabled(), { what: 'Pause to be enabled' })
    await pause.click()
    await expectText(page, '#notice', 'Pipeline paused: scheduled runs are skipped until it is resumed')
    await expectText(page, '#state-badge', '⏸ Paused', 15_000)
    await expectText(page, '#pause', 'Resume')
    await expectText(page, '#f-next', /skipped while paused$/)
    for (const colorScheme of ['dark', 'light'] as const) {
      await page.emulateMedia({ colorScheme })
      await expectContrast(page)
    }
    expect((await call(server.url, 'GET', '/api/cron/status')).body.paused).toBe(true)

    await pause.click()
    await expectText(page, '#notice', 'Pipeline resumed')
    await expectText(page, '#pause', 'Pause')
    await expectText(page, '#state-badge', '● Running')
    expect((await call(server.url, 'GET', '/api/cron/status')).body.paused).toBe(false)

    // A page that has not seen another client's pause yet: its Pause gets the API's 409 detail.
    expect((await call(server.url, 'POST', '/api/cron/pause')).status).toBe(200)
    await page.evaluate(() => {
      const b = document.getElementById('pause') as HTMLButtonElement
      b.dataset.op = 'pause'
      b.disabled = false
      b.click()
    })
    await expectText(page, '#notice', 'The pipeline is already paused')
    expect(await page.locator('#notice').getAttribute('class')).toContain('error')
    await expectText(page, '#pause', 'Resume')

    await page.getByRole('button', { name: 'Stop daemon' }).click()
    await expectText(page, '#notice', 'Daemon stopped successfully', 15_000)
    await waitFor(() => pause.isDisabled(), { what: 'Pause to be disabled once stopped' })

    // The 409 is the only expected console noise.
    expect(problems.filter((p) => !/status of 409/.test(p))).toEqual([])
    expectOnlyLoopback(requests, server.url)
    await context.close()
  })
})
