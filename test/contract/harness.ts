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

/** Polls `check` every 20 ms until it returns something truthy; fails after `timeoutMs` with `what`. */
export async function until<T>(check: () => T, what: string, timeoutMs = 5000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = check()
    if (value) return value
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

/** Awaits `p`, failing after `ms` with `what`, so a contract never hangs a runner. */
export function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms)
  })
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer))
}
