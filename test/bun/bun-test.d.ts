// The slice of bun:test these suites use, so `tsc` checks them without Bun's own types.
declare module 'bun:test' {
  export function describe(name: string, fn: () => void): void
  export function it(name: string, fn: () => Promise<void> | void, timeoutMs?: number): void
  export function expect(actual: unknown): any
}
