/**
 * The few Bun APIs this adapter uses, declared locally so the Node build and typecheck need
 * no Bun types. Shapes follow Bun 1.1+.
 */
declare namespace Bun {
  interface Subprocess {
    readonly pid: number
    // Bun's streams are async iterable (the DOM lib's ReadableStream type does not say so).
    readonly stdout: ReadableStream<Uint8Array> & AsyncIterable<Uint8Array>
    readonly stderr: ReadableStream<Uint8Array> & AsyncIterable<Uint8Array>
    readonly exited: Promise<number>
    readonly exitCode: number | null
    readonly signalCode: string | null
    unref(): void
  }
  interface SpawnOptions {
    cmd: string[]
    cwd?: string
    env?: Record<string, string | undefined>
    detached?: boolean
    stdin?: 'ignore' | 'pipe' | 'inherit'
    stdout?: 'ignore' | 'pipe' | 'inherit' | number
    stderr?: 'ignore' | 'pipe' | 'inherit' | number
  }
  interface Server {
    readonly port: number
    readonly hostname: string
    stop(closeActiveConnections?: boolean): Promise<void>
  }
  interface ServeOptions {
    fetch: (request: Request, server: Server) => Response | Promise<Response>
    port?: number
    hostname?: string
    /** Seconds a connection may stay idle (max 255; 0 disables). */
    idleTimeout?: number
  }
}

declare const Bun: {
  readonly argv: string[]
  spawn(options: Bun.SpawnOptions): Bun.Subprocess
  serve(options: Bun.ServeOptions): Bun.Server
}
