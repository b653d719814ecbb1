import autocannon from 'autocannon'

export interface LoadResult {
  rps: number
  p50: number
  p99: number
  requests: number
  /** Non-2xx answers plus socket errors and timeouts: any is a broken measurement. */
  bad: number
}

/** Closed-loop load with autocannon: `connections` keep-alive connections for `seconds`. */
export async function load(url: string, connections: number, seconds: number): Promise<LoadResult> {
  const r = await autocannon({ url, connections, duration: seconds })
  return {
    rps: r.requests.total / r.duration,
    p50: r.latency.p50,
    p99: r.latency.p99,
    requests: r.requests.total,
    bad: r.non2xx + r.errors + r.timeouts,
  }
}

/** Several rounds against one URL merged: total requests over total time, mean of the rounds' percentiles. */
export function merge(rounds: LoadResult[]): LoadResult {
  const n = rounds.length
  const sum = (f: (r: LoadResult) => number) => rounds.reduce((a, r) => a + f(r), 0)
  const seconds = sum((r) => r.requests / r.rps)
  return { rps: sum((r) => r.requests) / seconds, p50: sum((r) => r.p50) / n, p99: sum((r) => r.p99) / n, requests: sum((r) => r.requests), bad: sum((r) => r.bad) }
}
