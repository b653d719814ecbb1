/** @jsxImportSource hono/jsx */
import type { FC } from 'hono/jsx'
import { ControlsCard } from './page-controls.js'

export interface PageProps {
  /** Smallest accepted interval, shown next to the field (the API still has the last word). */
  minIntervalSeconds: number
  /** Versioned, relative asset URLs (relative so the page works under any mount prefix). */
  assets: { js: string; css: string; icon: string }
}

/** Lines kept in the live log's DOM; older ones are dropped so a long log never freezes the page. */
export const MAX_RENDERED_LINES = 5000

/**
 * The dashboard's HTML: every element the client script fills in, server-rendered, so the page
 * has its structure (and its labels) before any data arrives. It carries no pipeline data, so
 * it stays public when a token guards the API. Two views: the list of pipelines (shown when the
 * server runs several) and one pipeline's view.
 */
export const DashboardPage: FC<PageProps> = ({ minIntervalSeconds, assets }) => (
  <html lang="en">
    <head>
      <meta charset="utf-8" />
      <meta name="viewport" content="width=device-width, initial-scale=1" />
      <meta name="color-scheme" content="light dark" />
      <meta name="referrer" content="no-referrer" />
      <title>pipeline-cron</title>
      <link rel="icon" type="image/svg+xml" href={assets.icon} />
      <link rel="stylesheet" href={assets.css} />
      <script src={assets.js} defer></script>
    </head>
    <body data-max-lines={String(MAX_RENDERED_LINES)}>
      <a class="skip-link" href="#logs-h">Skip to the live log</a>
      <header class="top">
        <h1>pipeline-cron</h1>
        <p id="crumbs" class="crumbs" hidden>
          <a href="#" id="back-to-list">
            ← All pipelines
          </a>
          <strong id="pipeline-name" class="mono"></strong>
        </p>
        <span id="state-badge" class="badge big s-down" role="status" aria-live="polite">
          Loading…
        </span>
        <nav aria-label="Other pages">
          <button type="button" id="forget-token" class="link" hidden>
            Forget token
          </button>
          <button type="button" id="sign-in" class="link" hidden>
            Sign in
          </button>
          <a href="./docs">API docs</a>
        </nav>
      </header>
      <main id="pipelines-view" hidden>
        <section class="card wide" aria-labelledby="pipelines-h">
          <h2 id="pipelines-h">Pipelines</h2>
          <p id="pipelines-note" class="form-error" role="status" hidden></p>
          <ScrollTable
            id="pipelines"
            name="Pipelines"
            caption="Every pipeline of this server. Choose one to see and control it."
            columns={[['Pipeline'], ['State'], ['Next run'], ['Last run']]}
          />
        </section>
      </main>
      <main id="pipeline-view">
        <section class="card" aria-labelledby="glance-h">
          <h2 id="glance-h">At a glance</h2>
          <dl class="facts">
            <dt>Daemon</dt>
            <dd id="f-message">…</dd>
            <dt>PID</dt>
            <dd id="f-pid" class="mono">–</dd>
            <dt>Schedule</dt>
            <dd id="f-schedule">–</dd>
            <dt>Started</dt>
            <dd id="f-started">–</dd>
            <dt>Next run</dt>
            <dd id="f-next">–</dd>
            <dt>Current run</dt>
            <dd id="f-current">–</dd>
            <dt>Last run</dt>
            <dd id="f-last">–</dd>
          </dl>
        </section>

        <ControlsCard minIntervalSeconds={minIntervalSeconds} />

        <section class="card wide" aria-labelledby="logs-h">
          <h2 id="logs-h">Live log</h2>
          <div class="log-toolbar">
            <div class="field">
              <label for="log-filter">Filter</label>
              <input id="log-filter" type="search" autocomplete="off" placeholder="text to match (case-insensitive)" />
            </div>
            <span id="log-info" class="muted"></span>
            <span id="stream-state" class="stream-state muted">connecting…</span>
          </div>
          <div class="log-wrap">
            <div
              id="log"
              class="log"
              role="log"
              aria-live="off"
              aria-labelledby="logs-h"
              tabindex={0}
              data-empty="No log lines yet."
            ></div>
            <button type="button" id="jump" class="jump primary" hidden>
              Jump to latest
            </button>
          </div>
        </section>

        <section class="card wide" aria-labelledby="runs-h">
          <h2 id="runs-h">Run history</h2>
          <figure class="chart-wrap" id="chart-wrap">
            <svg id="chart" class="chart" role="img" aria-labelledby="chart-desc" xmlns="http://www.w3.org/2000/svg"></svg>
            <figcaption>
              <span id="chart-desc" class="muted">
                Run durations, oldest on the left.
              </span>
              <ul class="legend" aria-label="Colours">
                <li class="k-success">success</li>
                <li class="k-failed">failed</li>
                <li class="k-timed_out">timed out</li>
                <li class="k-cancelled">cancelled</li>
                <li class="k-skipped">skipped</li>
                <li class="k-abandoned">abandoned</li>
                <li class="k-running">running</li>
              </ul>
            </figcaption>
          </figure>
          <ScrollTable
            id="runs"
            name="Runs"
            caption="Recent runs, newest first. Choose a run to see its steps and log."
            columns={[['Status'], ['Trigger', 'hide-narrow'], ['Started'], ['Duration', 'num'], ['Failing step']]}
          />
          <section id="run-detail" class="detail" aria-labelledby="run-detail-h" hidden>
            <div class="detail-head">
              <h3 id="run-detail-h" tabindex={-1}>
                Run
              </h3>
              <button type="button" id="run-detail-close">
                Close
              </button>
            </div>
            <p id="run-detail-summary"></p>
            <div class="table-wrap">
              <table>
                <caption class="sr-only">Steps of the selected run</caption>
                <thead>
                  <tr>
                    <th scope="col">Step</th>
                    <th scope="col">Status</th>
                    <th scope="col" class="num">Exit</th>
                    <th scope="col" class="hide-narrow">Signal</th>
                    <th scope="col" class="num">Duration</th>
                  </tr>
                </thead>
                <tbody id="run-steps"></tbody>
              </table>
            </div>
            <h3 id="run-log-h">Log of this run</h3>
            <div id="run-log" class="log run-log" role="log" aria-live="off" aria-labelledby="run-log-h" tabindex={0} data-empty="No lines."></div>
          </section>
        </section>
      </main>

      <dialog id="clear-dialog" aria-labelledby="clear-dialog-h">
        <form method="dialog">
          <h2 id="clear-dialog-h">Clear the log?</h2>
          <p>This empties the current log file for everyone. The run history is kept.</p>
          <div class="buttons">
            <button value="cancel" autofocus>
              Cancel
            </button>
            <button value="confirm" class="danger" id="clear-confirm">
              Clear logs
            </button>
          </div>
        </form>
      </dialog>

      <dialog id="token-dialog" aria-labelledby="token-dialog-h">
        <form method="dialog" id="token-form">
          <h2 id="token-dialog-h">API token needed</h2>
          <div class="field">
            <label for="token-input">Bearer token</label>
            <input id="token-input" type="password" autocomplete="off" spellcheck={false} aria-describedby="token-hint token-error" />
            <p id="token-hint" class="hint">
              Kept in this tab only (sessionStorage) until you close it.
            </p>
            <p id="token-error" class="field-error" hidden></p>
          </div>
          <div class="buttons">
            <button value="cancel" type="button" id="token-cancel">
              Cancel
            </button>
            <button value="ok" class="primary" id="token-ok">
              Use token
            </button>
          </div>
        </form>
      </dialog>
    </body>
  </html>
)

/** The whole document, doctype included. */
/** A table the client fills (its body `#<id>-body`), in a region that scrolls sideways on narrow screens. */
const ScrollTable: FC<{ id: string; name: string; caption: string; columns: [label: string, cls?: string][] }> = ({ id, name, caption, columns }) => (
  <div class="table-wrap" tabindex={0} role="region" aria-label={`${name} table (scrolls sideways on narrow screens)`}>
    <table id={id}>
      <caption class="sr-only">{caption}</caption>
      <thead>
        <tr>
          {columns.map(([label, cls]) => (
            <th scope="col" class={cls}>
              {label}
            </th>
          ))}
        </tr>
      </thead>
      <tbody id={`${id}-body`}>
        <tr>
          <td colspan={columns.length} class="muted">
            Loading…
          </td>
        </tr>
      </tbody>
    </table>
  </div>
)

export function renderDashboard(props: PageProps): string {
  return `<!DOCTYPE html>${String(<DashboardPage {...props} />)}`
}
