/**
 * The dashboard's stylesheet, served at `assets/dashboard.css`. System fonts only (no web font,
 * no outside request); light and dark by `prefers-color-scheme`; one column below 720 px.
 */
export const DASHBOARD_CSS = String.raw`
:root {
  color-scheme: light dark;
  --bg: #f6f8fa;
  --panel: #ffffff;
  --text: #1f2328;
  --muted: #57606a;
  --border: #d0d7de;
  --accent: #0550ae;
  --accent-text: #ffffff;
  --focus: #0969da;
  --danger: #b3261e;
  --danger-text: #ffffff;
  --ok: #1a7f37;
  --fail: #cf222e;
  --timeout: #9a6700;
  --cancel: #57606a;
  --skip: #6e7781;
  --abandon: #8250df;
  --running: #0969da;
  --log-bg: #ffffff;
  --log-text: #1f2328;
  --stderr-bg: #ffebe9;
  --stderr-text: #86181d;
  --marker-text: #0550ae;
  --grid: #d8dee4;
  --mono: ui-monospace, SFMono-Regular, "SF Mono", Menlo, Consolas, "Liberation Mono", monospace;
  --sans: system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "Liberation Sans", Arial, sans-serif;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #0d1117;
    --panel: #161b22;
    --text: #e6edf3;
    --muted: #9da7b3;
    --border: #3d444d;
    --accent: #4493f8;
    --accent-text: #0d1117;
    --focus: #79c0ff;
    --danger: #f85149;
    --danger-text: #0d1117;
    --ok: #3fb950;
    --fail: #ff7b72;
    --timeout: #d29922;
    --cancel: #9da7b3;
    --skip: #8b949e;
    --abandon: #bc8cff;
    --running: #58a6ff;
    --log-bg: #0d1117;
    --log-text: #e6edf3;
    --stderr-bg: #3c1618;
    --stderr-text: #ffc1ba;
    --marker-text: #79c0ff;
    --grid: #30363d;
  }
}
*, *::before, *::after { box-sizing: border-box; }
/* The hidden attribute must win over display rules such as .row's flex. */
[hidden] { display: none !important; }
html { -webkit-text-size-adjust: 100%; }
body {
  margin: 0;
  background: var(--bg);
  color: var(--text);
  font: 15px/1.45 var(--sans);
}
a { color: var(--accent); }
:focus-visible { outline: 3px solid var(--focus); outline-offset: 2px; }
.sr-only {
  position: absolute; width: 1px; height: 1px; padding: 0; margin: -1px;
  overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; border: 0;
}
.skip-link { position: absolute; left: 8px; top: -48px; background: var(--panel); padding: 8px 12px; z-index: 10; }
.skip-link:focus { top: 8px; }

header.top {
  display: flex; flex-wrap: wrap; align-items: center; gap: 8px 16px;
  padding: 12px 20px; border-bottom: 1px solid var(--border); background: var(--panel);
}
header.top h1 { font-size: 1.15rem; margin: 0; }
header.top .crumbs { margin: 0; display: flex; flex-wrap: wrap; gap: 4px 12px; align-items: baseline; }
header.top nav { margin-left: auto; display: flex; gap: 12px; align-items: center; flex-wrap: wrap; }
main { max-width: 1280px; margin: 0 auto; padding: 16px; display: grid; gap: 16px; grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); }
main > .wide { grid-column: 1 / -1; }
@media (max-width: 720px) {
  main { grid-template-columns: minmax(0, 1fr); padding: 8px; gap: 10px; }
  header.top { padding: 10px 12px; }
}
section.card {
  background: var(--panel); border: 1px solid var(--border); border-radius: 8px;
  padding: 14px 16px; min-width: 0;
}
section.card > h2 { font-size: 1rem; margin: 0 0 10px; }
h3 { font-size: 0.95rem; margin: 14px 0 8px; }

/* At a glance */
dl.facts { display: grid; grid-template-columns: max-content minmax(0, 1fr); gap: 6px 14px; margin: 0; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; overflow-wrap: anywhere; }
.mono { font-family: var(--mono); font-size: 0.9em; }
.muted { color: var(--muted); }
.badge {
  display: inline-flex; align-items: center; gap: 4px; padding: 1px 8px; border-radius: 999px;
  border: 1px solid currentColor; font-weight: 600; font-size: 0.85rem; white-space: nowrap;
}
.badge.big { font-size: 1rem; padding: 3px 12px; }
.s-running, .s-up { color: var(--running); }
.s-success { color: var(--ok); }
.s-failed { color: var(--fail); }
.s-timed_out { color: var(--timeout); }
.s-cancelled { color: var(--cancel); }
.s-skipped { color: var(--skip); }
.s-abandoned { color: var(--abandon); }
.s-down { color: var(--muted); }
.s-paused { color: var(--timeout); }
progress { width: 100%; max-width: 320px; height: 10px; accent-color: var(--running); }
.countdown { font-variant-numeric: tabular-nums; font-weight: 600; }

/* Controls */
form.start { display: grid; gap: 10px; }
fieldset { border: 0; padding: 0; margin: 0; display: flex; flex-wrap: wrap; gap: 4px 18px; }
legend { padding: 0; margin-bottom: 4px; font-weight: 600; }
.field { display: grid; gap: 3px; }
.field label { font-weight: 600; }
.row { display: flex; flex-wrap: wrap; gap: 10px; }
.row > .field { flex: 1 1 180px; min-width: 0; }
input[type="text"], input[type="number"], input[type="search"], input[type="password"] {
  font: inherit; color: var(--text); background: var(--bg); border: 1px solid var(--muted);
  border-radius: 6px; padding: 6px 8px; width: 100%; min-height: 36px;
}
input[aria-invalid="true"] { border-color: var(--danger); border-width: 2px; }
.hint { color: var(--muted); font-size: 0.85rem; margin: 0; }
.field-error, .form-error { color: var(--danger); font-size: 0.9rem; margin: 0; font-weight: 600; }
.field-error::before, .form-error::before { content: "\26A0\FE0E  "; }
.check { display: flex; gap: 6px; align-items: center; }
input[type="checkbox"], input[type="radio"] { width: 18px; height: 18px; accent-color: var(--accent); margin: 0; }
label.choice { display: inline-flex; gap: 6px; align-items: center; min-height: 32px; }
button {
  font: inherit; font-weight: 600; border-radius: 6px; padding: 6px 14px; min-height: 36px;
  border: 1px solid var(--border); background: var(--bg); color: var(--text); cursor: pointer;
}
button:hover:not(:disabled) { border-color: var(--muted); }
button.primary { background: var(--accent); border-color: var(--accent); color: var(--accent-text); }
button.danger { background: var(--danger); border-color: var(--danger); color: var(--danger-text); }
button:disabled { opacity: 0.55; cursor: not-allowed; }
button.link { background: none; border: 0; padding: 0; min-height: 0; color: var(--accent); text-decoration: underline; font-weight: 500; }
.actions { display: flex; flex-wrap: wrap; gap: 8px; margin-top: 12px; padding-top: 12px; border-top: 1px solid var(--border); }
.notice { margin: 10px 0 0; min-height: 1.45em; }
.notice.error { color: var(--danger); font-weight: 600; }

/* Logs */
.log-toolbar { display: flex; flex-wrap: wrap; gap: 8px 14px; align-items: center; margin-bottom: 8px; }
.log-toolbar .field { flex: 1 1 220px; grid-template-columns: max-content minmax(0, 1fr); align-items: center; gap: 8px; }
.log-wrap { position: relative; }
.log {
  position: relative; height: 420px; overflow: auto; background: var(--log-bg); color: var(--log-text);
  border: 1px solid var(--border); border-radius: 6px; padding: 6px 0;
  font: 12.5px/1.5 var(--mono); overscroll-behavior: contain;
}
@media (max-width: 720px) { .log { height: 320px; } }
.log:empty::before { content: attr(data-empty); display: block; padding: 4px 10px; color: var(--muted); font-family: var(--sans); }
.line { padding: 0 10px; white-space: pre-wrap; overflow-wrap: anywhere; border-left: 3px solid transparent; }
.line.stderr { background: var(--stderr-bg); color: var(--stderr-text); border-left-color: var(--danger); }
.line.marker { color: var(--marker-text); font-weight: 700; }
.line.bad { color: var(--fail); font-weight: 700; }
.line.note { color: var(--muted); font-style: italic; font-family: var(--sans); }
.jump {
  position: absolute; right: 16px; bottom: 12px; box-shadow: 0 2px 8px rgb(0 0 0 / 0.25);
}
.stream-state::before { content: "\25CF  "; }
.stream-state.live { color: var(--ok); }
.stream-state.down { color: var(--danger); }

/* History */
.chart-wrap { margin: 0 0 12px; }
.chart { display: block; width: 100%; height: 150px; }
.chart .grid { stroke: var(--grid); stroke-width: 1; }
.chart text { fill: var(--muted); font: 11px var(--sans); }
.chart rect.bar { cursor: pointer; }
.chart rect.bar:hover { opacity: 0.8; }
.chart rect.selected { stroke: var(--text); stroke-width: 2; }
.f-success { fill: var(--ok); } .f-failed { fill: var(--fail); } .f-timed_out { fill: var(--timeout); }
.f-cancelled { fill: var(--cancel); } .f-skipped { fill: var(--skip); } .f-abandoned { fill: var(--abandon); }
.f-running { fill: var(--running); }
.legend { display: flex; flex-wrap: wrap; gap: 4px 14px; margin: 6px 0 0; padding: 0; list-style: none; font-size: 0.85rem; color: var(--muted); }
.legend li::before { content: ""; display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 5px; vertical-align: -1px; background: currentColor; }
.legend .k-success::before { background: var(--ok); } .legend .k-failed::before { background: var(--fail); }
.legend .k-timed_out::before { background: var(--timeout); } .legend .k-cancelled::before { background: var(--cancel); }
.legend .k-skipped::before { background: var(--skip); } .legend .k-abandoned::before { background: var(--abandon); }
.legend .k-running::before { background: var(--running); }
.table-wrap { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-size: 0.9rem; }
th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid var(--border); white-space: nowrap; }
th { color: var(--muted); font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
tbody tr { cursor: pointer; }
tbody tr:hover { background: var(--bg); }
tbody tr.selected { background: var(--bg); box-shadow: inset 3px 0 0 var(--accent); }
td.wrap { white-space: normal; overflow-wrap: anywhere; }
@media (max-width: 720px) { .hide-narrow { display: none; } th, td { padding: 6px 5px; } }
.detail { margin-top: 14px; padding-top: 4px; border-top: 1px solid var(--border); }
.detail-head { display: flex; flex-wrap: wrap; gap: 8px; align-items: center; justify-content: space-between; }
.detail-head h3 { margin: 10px 0; }
.run-log { height: 260px; }
#pipelines tbody th { font-weight: 600; text-align: left; white-space: normal; }
.pipeline-error { font-weight: 400; font-size: 0.85rem; }

dialog {
  border: 1px solid var(--border); border-radius: 10px; background: var(--panel); color: var(--text);
  padding: 18px; width: min(440px, calc(100vw - 24px));
}
dialog::backdrop { background: rgb(0 0 0 / 0.45); }
dialog h2 { margin: 0 0 10px; font-size: 1.05rem; }
dialog .buttons { display: flex; justify-content: flex-end; gap: 8px; margin-top: 14px; flex-wrap: wrap; }
@media (prefers-reduced-motion: reduce) { * { scroll-behavior: auto !important; } }
`
