/**
 * What a contract suite needs from the test runner. Passed in (never imported) so the same
 * suites run under vitest and `bun test`.
 */
export interface ContractHarness {
  it: (name: string, fn: () => Promise<void> | void, timeoutMs?: number) => void
  // `expect` of vitest or bun: only jest-compatible matchers are used.
  expect: (actual: unknown) => any
}

/** Collects an async iterable of text chunks into one string. */
export async function collect(chunks: AsyncIterable<string>): Promise<string> {
  let out = ''
  for await (const c of chunks) out += c
  return out
}

/** Awaits `p`, failing after `ms` with `what`, so a contract never hangs a runner. */
export function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms)
  })
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer))
}
