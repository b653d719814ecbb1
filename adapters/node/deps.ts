import type { Context } from 'hono'
import { getConnInfo } from '@hono/node-server/conninfo'
import { resolve } from 'node:path'
import type { AppOptions } from '../../src/app.js'
import type { Config } from '../../src/config.js'
import { createController } from '../../src/controller.js'
import type { DaemonLauncher, LogStore } from '../../src/ports.js'
import { createNodeDocsAssets } from './docs-assets.js'
import { createLauncher, defaultDaemonScript, type LauncherOptions } from './launcher.js'
import { createFileLogStore } from './log-store.js'
import { loadPipeline, resolvePipelinePath } from './pipeline-file.js'
import { procfs } from './process-control.js'
import { createFileRunHistory } from './run-history.js'
import { createFileStateStore } from './state-store.js'

export interface NodeDeps extends AppOptions {
  pipelineFile: string
}

/** Wires the file- and process-backed ports for a config: everything `createApp` needs. */
export function createDeps(config: Config, opts: { execPath?: string; daemonScript?: string } = {}): NodeDeps {
  const deps = wireDeps(config, {
    launcher: (l) => createLauncher(l),
    logs: (file, keep) => createFileLogStore(file, keep),
    execPath: opts.execPath ?? process.execPath,
    daemonScript: opts.daemonScript ?? defaultDaemonScript(),
    clientAddress: nodeClientAddress,
  })
  return { ...deps, docsAssets: createNodeDocsAssets() }
}

/** The runtime-specific parts an adapter plugs into the shared file/`/proc` wiring. */
export interface RuntimeParts {
  launcher: (o: LauncherOptions) => DaemonLauncher
  logs: (logFile: string, keep: number) => LogStore
  execPath: string
  daemonScript: string
  clientAddress: (c: Context) => string | undefined
}

export function wireDeps(config: Config, parts: RuntimeParts): NodeDeps {
  const stateDir = resolve(config.stateDir)
  const logFile = resolve(config.logFile)
  const pipelineFile = resolvePipelinePath(config.pipeline)
  const runs = createFileRunHistory(stateDir, config.runsKeep)
  const graceMs = config.stopGraceSeconds * 1000
  const controller = createController({
    state: createFileStateStore(stateDir),
    procs: procfs,
    runs,
    graceMs,
    checkPipeline: async () => void (await loadPipeline(pipelineFile)),
    launcher: parts.launcher({
      execPath: parts.execPath,
      daemonScript: parts.daemonScript,
      stateDir,
      logFile,
      pipelineFile,
      logMaxBytes: config.logMaxBytes,
      logKeep: config.logKeep,
      graceMs,
      runsKeep: config.runsKeep,
    }),
  })
  return {
    controller,
    runs,
    logs: parts.logs(logFile, config.logKeep),
    minIntervalSeconds: config.minIntervalSeconds,
    token: config.token,
    readToken: config.readToken,
    clientAddress: parts.clientAddress,
    pipelineFile,
  }
}

function nodeClientAddress(c: Context): string | undefined {
  try {
    return getConnInfo(c).remote.address
  } catch {
    return undefined
  }
}
