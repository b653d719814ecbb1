/** Server configuration: flags beat environment variables; bad values stop start-up with one clear line. */
import { describe, expect, it } from 'vitest'
import { DEFAULTS, isLoopback, resolveConfig, SETTINGS } from '../../src/config.js'
import { ConfigError } from '../../src/errors.js'

function problem(args: string[], env: Record<string, string> = {}): string {
  try {
    resolveConfig(args, env)
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError)
    return (err as Error).message
  }
  throw new Error('expected the configuration to be rejected')
}

describe('resolveConfig', () => {
  it('returns the documented defaults - no flags, no env', () => {
    expect(resolveConfig([], {})).toEqual(DEFAULTS)
    expect(DEFAULTS).toMatchObject({
      port: 8000,
      host: '127.0.0.1',
      pipeline: null,
      stateDir: './.pipeline-cron',
      logFile: './pipeline_execution.log',
      token: null,
      readToken: null,
      minIntervalSeconds: 10,
      logMaxBytes: 52_428_800,
      logKeep: 5,
    })
  })

  it('lets the flag win - both --port and PORT given', () => {
    expect(resolveConfig(['--port', '9000'], { PORT: '8001' }).port).toBe(9000)
    expect(resolveConfig(['--token=flag'], { CRON_API_TOKEN: 'env' }).token).toBe('flag')
  })

  it('uses the environment - no flag', () => {
    const c = resolveConfig([], {
      PORT: '8001',
      HOST: '0.0.0.0',
      PIPELINE_FILE: 'p.json',
      STATE_DIR: '/var/lib/pc',
      LOG_FILE: '/var/log/pc.log',
      CRON_API_TOKEN: 't',
      CRON_API_READ_TOKEN: 'r',
      MIN_INTERVAL_SECONDS: '1',
      LOG_MAX_BYTES: '2048',
      LOG_KEEP: '0',
    })
    expect(c).toMatchObject({
      port: 8001,
      host: '0.0.0.0',
      pipeline: 'p.json',
      stateDir: '/var/lib/pc',
      logFile: '/var/log/pc.log',
      token: 't',
      readToken: 'r',
      minIntervalSeconds: 1,
      logMaxBytes: 2048,
      logKeep: 0,
    })
  })

  it('reads every documented flag in both forms - --flag value and --flag=value', () => {
    const c = resolveConfig(['--host', '::1', '--state-dir=/s', '--log-file', '/l.log', '--min-interval=2', '--log-max-bytes', '4096', '--log-keep=3', '--pipeline', 'x.json', '--read-token=r'], {})
    expect(c).toMatchObject({ host: '::1', stateDir: '/s', logFile: '/l.log', minIntervalSeconds: 2, logMaxBytes: 4096, logKeep: 3, pipeline: 'x.json', readToken: 'r' })
  })

  it('ignores an empty environment variable - PORT=""', () => {
    expect(resolveConfig([], { PORT: '' }).port).toBe(8000)
  })

  it('accepts port 0 (an ephemeral port) - --port 0', () => {
    expect(resolveConfig(['--port', '0'], {}).port).toBe(0)
  })

  it('has a flag and a variable for each setting - SETTINGS table', () => {
    for (const s of SETTINGS) {
      expect(s.flag).toMatch(/^[a-z][a-z-]*$/)
      expect(s.env).toMatch(/^[A-Z][A-Z_]*$/)
    }
  })
})

describe('resolveConfig: bad values', () => {
  it.each([
    [['--port', 'abc'], {}, '--port: expected an integer from 0 to 65535, got "abc"'],
    [['--port=70000'], {}, '--port: expected an integer from 0 to 65535, got 70000'],
    [['--port', '-1'], {}, '--port: expected an integer from 0 to 65535, got "-1"'],
    [['--port', '80.5'], {}, '--port: expected an integer from 0 to 65535, got "80.5"'],
    [[], { PORT: 'eighty' }, 'PORT: expected an integer from 0 to 65535, got "eighty"'],
    [[], { PORT: '65536' }, 'PORT: expected an integer from 0 to 65535, got 65536'],
    [['--min-interval', '0'], {}, '--min-interval: expected an integer from 1 to 86400, got 0'],
    [['--log-max-bytes', '10'], {}, '--log-max-bytes: expected an integer from 1024 to 9007199254740991, got 10'],
    [['--host', ' '], {}, '--host: must not be empty'],
  ])('stops with a message that names the flag or variable and the rule - %j %j', (args, env, message) => {
    expect(problem(args as string[], env as Record<string, string>)).toBe(message)
  })

  it('names the flag - flag without a value at the end', () => {
    expect(problem(['--port'])).toBe('--port: expected a value')
  })

  it('lists the known flags - unknown flag', () => {
    expect(problem(['--prot', '8000'])).toMatch(/^unknown flag --prot; known flags: --port, --host, /)
  })

  it('shows the expected form - stray positional argument', () => {
    expect(problem(['8000'])).toBe('unexpected argument "8000" (flags look like --port 8000)')
  })
})

describe('isLoopback', () => {
  it.each(['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]'])('is true - %s', (h) => expect(isLoopback(h)).toBe(true))
  it.each(['0.0.0.0', '::', '192.168.1.10', '10.0.0.1', 'example.com'])('is false - %s', (h) => expect(isLoopback(h)).toBe(false))
})
