import { spawn } from 'node:child_process'
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs'
import { open } from 'node:fs/promises'
import { createConnection } from 'node:net'
import { dirname } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { PlatformError } from '../../core/errors.ts'
import type { Logger } from '../../core/logger.ts'

export type ServiceName = 'kafka' | 'schema-registry' | 'redis'

export interface DetachedSpec {
  readonly command: string
  readonly args: readonly string[]
  readonly cwd: string
  readonly logFile: string
  readonly pidFile: string
}

/**
 * Starts a process that outlives this one: own process group, output appended to a log file,
 * pid recorded so a later CLI invocation can find and stop it.
 */
export async function spawnDetached(spec: DetachedSpec): Promise<number> {
  mkdirSync(dirname(spec.logFile), { recursive: true })
  mkdirSync(dirname(spec.pidFile), { recursive: true })
  const fd = openSync(spec.logFile, 'a')
  try {
    const child = spawn(spec.command, spec.args, {
      cwd: spec.cwd,
      detached: true,
      stdio: ['ignore', fd, fd],
    })
    // 'error' (e.g. ENOENT) arrives instead of 'spawn' when the binary cannot be run.
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve)
      child.once('error', reject)
    })
    child.unref()
    const pid = child.pid!
    writeFileSync(spec.pidFile, `${pid}\n`)
    return pid
  } finally {
    closeSync(fd)
  }
}

export function readPid(pidFile: string): number | undefined {
  if (!existsSync(pidFile)) return undefined
  const pid = Number.parseInt(readFileSync(pidFile, 'utf8').trim(), 10)
  return Number.isInteger(pid) && pid > 0 ? pid : undefined
}

/**
 * True when `pid` is alive and, where /proc exists, its command line contains every marker, so
 * a stale pid file whose pid the OS has since reused is not mistaken for our service.
 */
export function isOurProcess(pid: number, markers: readonly string[]): boolean {
  try {
    process.kill(pid, 0)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false
  }
  const cmdline = `/proc/${pid}/cmdline`
  if (!existsSync(cmdline)) return true
  try {
    const text = readFileSync(cmdline, 'utf8')
    return markers.every((marker) => text.includes(marker))
  } catch {
    return false
  }
}

/** Where a service started by this stack keeps its pid and log, and how to recognise it. */
export interface ServiceFiles {
  readonly pidFile: string
  readonly logFile: string
  /** Strings on its command line that tell it from a process that reused its pid. */
  readonly markers: readonly string[]
}

/** The pid from the service's pid file while that process is alive and ours, else undefined. */
export function servicePid(files: ServiceFiles): number | undefined {
  const pid = readPid(files.pidFile)
  return pid !== undefined && isOurProcess(pid, files.markers) ? pid : undefined
}

/** SIGTERM, then SIGKILL once `graceMs` has passed; always removes the pid file. */
export async function stopProcess(
  service: ServiceName,
  files: ServiceFiles,
  graceMs: number,
  logger: Logger,
): Promise<void> {
  const { markers } = files
  const pid = servicePid(files)
  if (pid !== undefined) {
    logger.info({ service, pid }, 'stopping')
    signal(pid, 'SIGTERM')
    const deadline = Date.now() + graceMs
    while (isOurProcess(pid, markers) && Date.now() < deadline) await sleep(200)
    if (isOurProcess(pid, markers)) {
      logger.warn({ service, pid, graceMs }, 'did not exit after SIGTERM; sending SIGKILL')
      signal(pid, 'SIGKILL')
      while (isOurProcess(pid, markers)) await sleep(100)
    }
    logger.info({ service, pid }, 'stopped')
  }
  rmSync(files.pidFile, { force: true })
}

/** Sends `name` to `pid`; a process that is already gone is not an error. */
export function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error
  }
}

export function tcpOpen(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host, port, timeout: timeoutMs })
    const done = (ok: boolean) => {
      socket.destroy()
      resolve(ok)
    }
    socket.once('connect', () => done(true))
    socket.once('timeout', () => done(false))
    socket.once('error', () => done(false))
  })
}

/** Last `lines` lines of a (possibly large) log file, reading only its tail. */
export async function tailFile(path: string, lines = 30): Promise<string> {
  if (!existsSync(path)) return '(no log file)'
  const handle = await open(path, 'r')
  try {
    const { size } = await handle.stat()
    const length = Math.min(size, 16 * 1024)
    const buffer = Buffer.alloc(length)
    await handle.read(buffer, 0, length, size - length)
    return buffer
      .toString('utf8')
      .split('\n')
      .slice(-lines - 1)
      .join('\n')
      .trimEnd()
  } finally {
    await handle.close()
  }
}

/**
 * Polls `probe` (an exception counts as "not yet") until it holds; fails once `timeoutMs` has
 * passed, or as soon as the service's process has died, since waiting longer is pointless.
 */
export async function waitServiceReady(
  service: ServiceName,
  files: ServiceFiles,
  timeoutMs: number,
  probe: () => Promise<boolean>,
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (await probe().catch(() => false)) return
    if (servicePid(files) === undefined) {
      throw await startFailure(service, files.logFile, 'exited during startup')
    }
    await sleep(250)
  }
  const seconds = Math.round(timeoutMs / 1000)
  throw await startFailure(service, files.logFile, `did not become ready within ${seconds}s`)
}

export async function startFailure(
  service: ServiceName,
  logFile: string,
  reason: string,
  cause?: unknown,
): Promise<PlatformError> {
  const tail = await tailFile(logFile)
  return new PlatformError(
    'SERVICE_START_FAILED',
    `${service} ${reason}; see ${logFile}\n--- last lines of ${logFile} ---\n${tail}`,
    { cause, context: { service, logFile } },
  )
}

/** Thrown before spawning anything when ops/install.sh has not been run. */
export function notInstalled(service: ServiceName, missing: string): PlatformError {
  return new PlatformError(
    'SERVICE_START_FAILED',
    `${service} is not installed (${missing} is missing); run \`bash ops/install.sh\` first`,
    { context: { service, missing } },
  )
}
