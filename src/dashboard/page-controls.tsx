/** @jsxImportSource hono/jsx */
import type { FC } from 'hono/jsx'

/** The controls of one pipeline: start (interval or cron), stop, pause/resume, run now, clear logs. */
export const ControlsCard: FC<{ minIntervalSeconds: number }> = ({ minIntervalSeconds }) => (
  <section class="card" aria-labelledby="controls-h">
    <h2 id="controls-h">Controls</h2>
    <form id="start-form" class="start" novalidate>
      <fieldset>
        <legend>Schedule</legend>
        <label class="choice">
          <input type="radio" name="mode" value="interval" checked /> Every N seconds
        </label>
        <label class="choice">
          <input type="radio" name="mode" value="cron" /> On a cron schedule
        </label>
      </fieldset>
      <div class="field" data-mode="interval">
        <label for="interval">Interval in seconds</label>
        <input
          id="interval"
          name="interval_seconds"
          type="number"
          inputmode="numeric"
          min={String(minIntervalSeconds)}
          step="1"
          value={String(Math.max(60, minIntervalSeconds))}
          aria-describedby="interval-hint interval-error"
        />
        <p id="interval-hint" class="hint">
          A whole number, at least {minIntervalSeconds}.
        </p>
        <p id="interval-error" class="field-error" hidden></p>
      </div>
      <div class="row" data-mode="cron" hidden>
        <div class="field">
          <label for="cron">Cron expression</label>
          <input
            id="cron"
            name="cron"
            type="text"
            class="mono"
            autocomplete="off"
            spellcheck={false}
            placeholder="*/5 * * * *"
            aria-describedby="cron-hint cron-error"
          />
          <p id="cron-hint" class="hint">
            5 fields, or 6 with seconds first.
          </p>
          <p id="cron-error" class="field-error" hidden></p>
        </div>
        <div class="field">
          <label for="timezone">Time zone</label>
          <input
            id="timezone"
            name="timezone"
            type="text"
            list="timezones"
            autocomplete="off"
            spellcheck={false}
            placeholder="the server's"
            aria-describedby="timezone-hint timezone-error"
          />
          <datalist id="timezones"></datalist>
          <p id="timezone-hint" class="hint">
            IANA name, e.g. Europe/Berlin. Empty: the server's.
          </p>
          <p id="timezone-error" class="field-error" hidden></p>
        </div>
      </div>
      <label class="check">
        <input type="checkbox" id="run-immediately" name="run_immediately" checked /> Run once right away
      </label>
      <p id="form-error" class="form-error" hidden></p>
      <div>
        <button type="submit" id="start" class="primary">
          Start daemon
        </button>
      </div>
    </form>
    <div class="actions" role="group" aria-label="Daemon actions">
      <button type="button" id="run-now">
        Run now
      </button>
      <button type="button" id="pause" disabled>
        Pause
      </button>
      <button type="button" id="stop">
        Stop daemon
      </button>
      <button type="button" id="clear-logs">
        Clear logs…
      </button>
    </div>
    <p id="notice" class="notice" role="status" aria-live="polite"></p>
  </section>
)
