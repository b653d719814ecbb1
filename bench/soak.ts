/**
 * Soak: the built server and a daemon running a small pipeline every second, under steady
 * status and tail polling, a live log stream and a clear every 10 s, for --duration (default
 * 10 min). Reports errors and the first/last/peak RSS (VmRSS) and open file descriptors of the
 * server and the daemon. Loopback only; ends everything it started, also on Ctrl-C.
 *
 *   npm run soak                       # 10 minutes against dist/
 *   npm run soak -- --duration 60      # seconds, or 5m
 *   PIPELINE_CRON_DIST=/tmp/build npm run soak
 *
 * Exit code 0 when there were no errors and both processes stayed up, 1 otherwise.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'

interface Options {
  durationMs: number
  dist: string
  pollMs: number
  clearEveryMs: number
  sampleEveryMs: number
}

interface Sample {
  at: number
  server: ProcStat | null
  daemon: ProcStat | null
}

interface ProcStat {
  rssKiB: number
  fds: number
}

const options = parseArgs(process.argv.slice(2))
const errors: string[] = []
const counts = { requests: 0, streamLines: 0, clears: 0 }

main().then(
  (ok) => process.exit(ok ? 0 : 1),
  (err) => {
    console.error('soak: failed:', err)
    process.exit(1)
  },
)

async function main(): Promise<boolean> {
  const dir = mkdtempSync(join(tmpdir(), 'pc-soak-'))
  const stateDir = join(dir, 'state')
  const pipelineFile = join(dir, 'pipeline.json')
  writeFileSync(
    pipelineFile,
    JSON.stringify({
      name: 'soak',
      steps: [
        { name: 'produce', run: [process.execPath, '-e', 'for (let i = 1; i <= 20; i++) console.log(`row ${i} ` + "x".repeat(60))'] },
        { name: 'check', run: 'echo checked; echo "warning on stderr" >&2' },
      ],
    }),
  )
  const server = spawn(
    process.execPath,
    [join(options.dist, 'cli.js'), 'serve', '--port', '0', '--host', '127.0.0.1', '--state-dir', stateDir, '--log-file', join(dir, 'pipeline.log'),
      '--pipeline', pipelineFile, '--min-interval', '1', '--stop-grace', '2', '--log-max-bytes', String(1024 * 1024), '--log-keep', '2'],
    { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] },
  )
  let daemonPid: number | null = null
  const cleanup = () => {
    // Only what this run started: the daemon of this state dir, its steps, the server.
    if (daemonPid) for (const pid of treeOf(stateDir, daemonPid)) kill(pid)
    if (server.exitCode === null) kill(server.pid!)
    rmSync(dir, { recursive: true, force: true })
  }
  process.once('SIGINT', () => {
    cleanup()
    process.exit(130)
  })

  try {
    const url = await listening(server)
    console.log(`soak: server ${server.pid} on ${url}, ${Math.round(options.durationMs / 1000)} s, dist ${options.dist}`)
    const start = await request(url, 'POST', '/api/cron/start', { interval_seconds: 1 })
    daemonPid = Number(/\(PID: (\d+)\)/.exec(String(start?.message))?.[1]) || null
    if (!daemonPid) throw new Error(`start failed: ${JSON.stringify(start)}`)
    console.log(`soak: daemon ${daemonPid}`)

    const t0 = Date.now()
    const until = t0 + options.durationMs
    const samples: Sample[] = [sample(server.pid!, daemonPid, t0)]
    const stream = follow(url, until)
    await Promise.all([
      every(options.pollMs, until, async () => {
        const s = await request(url, 'GET', '/api/cron/status')
        if (s && (s.is_running !== true || s.pid !== daemonPid)) errors.push(`status: ${JSON.stringify(s).slice(0, 200)}`)
      }),
      every(options.pollMs, until, () => request(url, 'GET', '/api/cron/logs/tail?lines=50', undefined, 'text')),
      every(1000, until, () => request(url, 'GET', '/api/cron/logs?lines=200')),
      every(1000, until, () => request(url, 'GET', '/api/cron/runs?limit=20')),
      every(5000, until, () => request(url, 'GET', '/metrics', undefined, 'text')),
      every(options.clearEveryMs, until, async () => {
        await request(url, 'DELETE', '/api/cron/logs')
        counts.clears++
      }),
      every(options.sampleEveryMs, until, () => {
        const s = sample(server.pid!, daemonPid!, Date.now())
        samples.push(s)
        if (!s.server) errors.push('server process gone')
        if (!s.daemon) errors.push('daemon process gone')
        console.log(`soak: ${Math.round((s.at - t0) / 1000)} s: ${fmt('server', s.server)}, ${fmt('daemon', s.daemon)}, ${counts.requests} requests, ${errors.length} errors`)
      }),
    ])
    await stream
    samples.push(sample(server.pid!, daemonPid, Date.now()))

    const runs = ((await request(url, 'GET', '/api/cron/runs?limit=100000'))?.runs ?? []) as { status: string }[]
    const byStatus = runs.reduce<Record<string, number>>((m, r) => ((m[r.status] = (m[r.status] ?? 0) + 1), m), {})
    for (const [status, n] of Object.entries(byStatus)) {
      if (!['success', 'running', 'skipped'].includes(status)) errors.push(`${n} run(s) ${status}`)
    }
    const stop = await request(url, 'POST', '/api/cron/stop')
    if (stop?.success !== true || (stop.survivors as unknown[]).length) errors.push(`stop: ${JSON.stringify(stop)}`)
    if (treeOf(stateDir, daemonPid).length) errors.push('daemon tree alive after stop')

    report(samples, byStatus)
    return errors.length === 0
  } finally {
    cleanup()
  }
}

function report(samples: Sample[], runs: Record<string, number>) {
  const first = samples[0]!
  const last = samples[samples.length - 1]!
  const peak = (k: 'server' | 'daemon') => Math.max(...samples.map((s) => s[k]?.rssKiB ?? 0))
  const summary = {
    duration_s: Math.round((last.at - first.at) / 1000),
    requests: counts.requests,
    stream_lines: counts.streamLines,
    clears: counts.clears,
    runs,
    errors: errors.length,
    server_rss_kib: { first: first.server?.rssKiB, last: last.server?.rssKiB, peak: peak('server') },
    daemon_rss_kib: { first: first.daemon?.rssKiB, last: last.daemon?.rssKiB, peak: peak('daemon') },
    server_fds: { first: first.server?.fds, last: last.server?.fds },
    daemon_fds: { first: first.daemon?.fds, last: last.daemon?.fds },
  }
  console.log(`soak: result ${JSON.stringify(summary, null, 2)}`)
  for (const e of [...new Set(errors)].slice(0, 20)) console.log(`soak: error: ${e}`)
}

/** Calls `fn` every `ms` until `until` (never overlapping itself). */
async function every(ms: number, until: number, fn: () => unknown) {
  while (Date.now() < until) {
    const t = Date.now()
    await fn()
    await sleep(Math.max(0, Math.min(ms - (Date.now() - t), until - Date.now())))
  }
}

async function request(url: string, method: string, path: string, json?: unknown, as: 'json' | 'text' = 'json'): Promise<any> {
  counts.requests++
  try {
    const res = await fetch(url + path, {
      method,
      headers: json === undefined ? {} : { 'Content-Type': 'application/json' },
      body: json === undefined ? undefined : JSON.stringify(json),
      signal: AbortSignal.timeout(10_000),
    })
    const text = await res.text()
    if (!res.ok) {
      errors.push(`${method} ${path}: ${res.status} ${text.slice(0, 200)}`)
      return null
    }
    return as === 'json' ? JSON.parse(text) : text
  } catch (err) {
    errors.push(`${method} ${path}: ${(err as Error).message}`)
    return null
  }
}

/** One SSE client for the whole soak: counts the lines it gets, checks their shape. */
async function follow(url: string, until: number) {
  const abort = new AbortController()
  const timer = setTimeout(() => abort.abort(), Math.max(0, until - Date.now()))
  try {
    const res = await fetch(`${url}/api/cron/logs/stream?lines=10`, { signal: abort.signal })
    if (!res.ok || !res.body) return void errors.push(`stream: ${res.status}`)
    const decoder = new TextDecoder()
    let buf = ''
    for await (const chunk of res.body) {
      buf += decoder.decode(chunk as Uint8Array, { stream: true })
      let i: number
      while ((i = buf.indexOf('\n\n')) !== -1) {
        const event = buf.slice(0, i)
        buf = buf.slice(i + 2)
        for (const line of event.split('\n')) {
          if (!line.startsWith('data: ')) continue
          const data = line.slice(6)
          if (data && !/^\[\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\] /.test(data)) errors.push(`stream: torn line ${JSON.stringify(data.slice(0, 80))}`)
          counts.streamLines++
        }
      }
    }
  } catch (err) {
    if (!abort.signal.aborted) errors.push(`stream: ${(err as Error).message}`)
  } finally {
    clearTimeout(timer)
  }
}

function sample(serverPid: number, daemonPid: number, at: number): Sample {
  return { at, server: procStat(serverPid), daemon: procStat(daemonPid) }
}

function procStat(pid: number): ProcStat | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8')
    const rss = Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1])
    return { rssKiB: rss, fds: readdirSync(`/proc/${pid}/fd`).length }
  } catch {
    return null
  }
}

function fmt(name: string, s: ProcStat | null) {
  return s ? `${name} ${(s.rssKiB / 1024).toFixed(1)} MiB ${s.fds} fds` : `${name} gone`
}

/** The daemon (whose command line names this state dir) and every process carrying its marker. */
function treeOf(stateDir: string, daemonPid: number): number[] {
  let marker: string | null = null
  try {
    const argv = readFileSync(`/proc/${daemonPid}/cmdline`, 'utf8').split('\0')
    if (argv.includes(`--state-dir=${stateDir}`)) marker = `PIPELINE_CRON_INSTANCE=${argv.find((a) => a.startsWith('--instance='))?.slice(11)}`
  } catch {
    // gone
  }
  const out: number[] = []
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue
    try {
      const env = readFileSync(`/proc/${e}/environ`, 'latin1').split('\0')
      const argv = readFileSync(`/proc/${e}/cmdline`, 'utf8').split('\0')
      if ((marker && env.includes(marker)) || argv.includes(`--state-dir=${stateDir}`)) out.push(Number(e))
    } catch {
      // gone meanwhile
    }
  }
  return out
}

function kill(pid: number) {
  try {
    process.kill(pid, 'SIGKILL')
  } catch {
    // already gone
  }
}

function listening(child: ChildProcess): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    let out = ''
    const timer = setTimeout(() => reject(new Error(`server did not start: ${out}`)), 15_000)
    const onData = (d: Buffer) => {
      out += d
      const m = /listening on (http:\/\/\S+)/.exec(out)
      if (m) {
        clearTimeout(timer)
        resolvePromise(m[1]!)
      }
    }
    child.stdout!.on('data', onData)
    child.stderr!.on('data', (d: Buffer) => {
      out += d
      process.stderr.write(`soak: server: ${d}`)
    })
    child.once('exit', (code) => reject(new Error(`server exited (${code}): ${out}`)))
  })
}

function sleep(ms: number) {
  return new Promise((r) => setTimeout(r, ms))
}

function parseArgs(argv: string[]): Options {
  const get = (name: string) => {
    const i = argv.indexOf(`--${name}`)
    return i === -1 ? undefined : argv[i + 1]
  }
  const raw = get('duration') ?? '600'
  const m = /^(\d+)(s|m)?$/.exec(raw)
  if (!m) throw new Error(`--duration: expected seconds (600) or minutes (10m), got "${raw}"`)
  const durationMs = Number(m[1]) * (m[2] === 'm' ? 60_000 : 1000)
  return {
    durationMs,
    dist: resolve(get('dist') ?? process.env.PIPELINE_CRON_DIST ?? 'dist'),
    pollMs: 200,
    clearEveryMs: 10_000,
    sampleEveryMs: Math.min(60_000, Math.max(5_000, durationMs / 10)),
  }
}
