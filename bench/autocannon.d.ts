// autocannon 8 ships no types: only what bench/lib/load.ts uses.
declare module 'autocannon' {
  interface Percentiles {
    average: number
    mean: number
    max: number
    p50: number
    p90: number
    p99: number
    total: number
  }
  interface Options {
    url: string
    connections?: number
    duration?: number
    amount?: number
    method?: string
    headers?: Record<string, string>
  }
  interface Result {
    duration: number
    latency: Percentiles
    requests: Percentiles & { sent: number }
    throughput: Percentiles
    errors: number
    timeouts: number
    non2xx: number
    '2xx': number
  }
  function autocannon(opts: Options): Promise<Result>
  export default autocannon
}
