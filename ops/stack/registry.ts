import { existsSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import type { Logger } from '../../core/logger.ts'
import {
  notInstalled,
  servicePid,
  spawnDetached,
  stopProcess,
  waitServiceReady,
} from './process.ts'

const HOST = '127.0.0.1'

export interface RegistryNodeOptions {
  readonly root: string
  readonly stateDir: string
  readonly port: number
  readonly readyTimeoutMs: number
  readonly logger: Logger
}

export function registryPaths(o: Pick<RegistryNodeOptions, 'root' | 'stateDir'>) {
  const appDir = join(o.root, '.cache', 'registry', 'target', 'quarkus-app')
  const dbDir = join(o.stateDir, 'schema-registry')
  return {
    appDir,
    jar: join(appDir, 'quarkus-run.jar'),
    cdsArchive: join(appDir, 'app-cds.jsa'),
    dbDir,
    pidFile: join(o.stateDir, 'pids', 'schema-registry.pid'),
    logFile: join(o.stateDir, 'logs', 'schema-registry.log'),
    // The H2 path is unique per stateDir, so it identifies our registry's pid.
    markers: [dbDir],
  }
}

/** Apicurio's Confluent-compatible API; this is the base URL Confluent clients take. */
export function registryUrl(port: number): string {
  return `http://${HOST}:${port}/apis/ccompat/v7`
}

export async function startRegistry(o: RegistryNodeOptions): Promise<string> {
  const paths = registryPaths(o)
  const url = registryUrl(o.port)
  const existing = servicePid(paths)
  if (existing === undefined && (await registryHealthy(url))) {
    o.logger.info(
      { service: 'schema-registry', url },
      'already served by another process; reusing it',
    )
    return url
  }
  if (existing === undefined) {
    if (!existsSync(paths.jar)) throw notInstalled('schema-registry', paths.jar)
    mkdirSync(paths.dbDir, { recursive: true })
    const pid = await spawnDetached({
      command: 'java',
      args: [
        '-Xmx384m',
        // Low-traffic service on small CI boxes: C1-only JIT and serial GC start it with less
        // CPU, leaving the cores to the broker starting alongside.
        '-XX:TieredStopAtLevel=1',
        '-XX:+UseSerialGC',
        // Class-data archive made by the Quarkus build; its classpath is relative, hence cwd.
        // If the JVM differs from the one that built it, the JVM ignores it (-Xshare:auto).
        `-XX:SharedArchiveFile=${paths.cdsArchive}`,
        '-Xshare:auto',
        `-Dquarkus.http.port=${o.port}`,
        `-Dquarkus.http.host=${HOST}`,
        // File-backed H2 instead of the in-memory default: Kafka keeps its records across
        // restarts, so the schema ids embedded in them must survive too.
        `-Dquarkus.datasource.jdbc.url=jdbc:h2:file:${join(paths.dbDir, 'registry')}`,
        '-jar',
        paths.jar,
      ],
      cwd: paths.appDir,
      logFile: paths.logFile,
      pidFile: paths.pidFile,
    })
    o.logger.info({ service: 'schema-registry', pid, url, logFile: paths.logFile }, 'started')
  }
  await waitServiceReady('schema-registry', paths, o.readyTimeoutMs, () => registryHealthy(url))
  return url
}

export function stopRegistry(o: Pick<RegistryNodeOptions, 'root' | 'stateDir' | 'logger'>) {
  return stopProcess('schema-registry', registryPaths(o), 15_000, o.logger)
}

export function registryPid(o: Pick<RegistryNodeOptions, 'root' | 'stateDir'>): number | undefined {
  return servicePid(registryPaths(o))
}

export async function registryHealthy(url: string): Promise<boolean> {
  try {
    const response = await fetch(`${url}/subjects`, { signal: AbortSignal.timeout(2000) })
    await response.body?.cancel()
    return response.status === 200
  } catch {
    return false
  }
}
