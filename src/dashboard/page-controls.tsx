/** @jsxImportSource hono/jsx */
import type { FC, PropsWithChildren } from 'hono/jsx'

/** A labelled input with its hint and its (hidden until needed) error, which the input is described by. */
const Field: FC<PropsWithChildren<{ id: string; mode?: string; label: string; hint: string; input: Record<string, string | boolean> }>> = ({ id, mode, label, hint, input, children }) => (
  <div class="field" data-mode={mode}>
    <label for={id}>{label}</label>
    <input id={id} {...input} aria-describedby={`${id}-hint ${id}-error`} />
    {children}
    <p id={`${id}-hint`} class="hint">
      {hint}
    </p>
    <p id={`${id}-error`} class="field-error" hidden></p>
  </div>
)

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
      <Field
        id="interval"
        mode="interval"
        label="Interval in seconds"
        hint={`A whole number, at least ${minIntervalSeconds}.`}
        input={{ name: 'interval_seconds', type: 'number', inputmode: 'numeric', min: String(minIntervalSeconds), step: '1', value: String(Math.max(60, minIntervalSeconds)) }}
      />
      <div class="row" data-mode="cron" hidden>
        <Field
          id="cron"
          label="Cron expression"
          hint="5 fields, or 6 with seconds first."
          input={{ name: 'cron', type: 'text', class: 'mono', autocomplete: 'off', spellcheck: false, placeholder: '*/5 * * * *' }}
        />
        <Field
          id="timezone"
          label="Time zone"
          hint="IANA name, e.g. Europe/Berlin. Empty: the server's."
          input={{ name: 'timezone', type: 'text', list: 'timezones', autocomplete: 'off', spellcheck: false, placeholder: "the server's" }}
        >
          <datalist id="timezones"></datalist>
        </Field>
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
