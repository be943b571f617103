import { loadConfig, type PlatformConfig } from '../core/config.ts'
import { createLogger, type Logger } from '../core/logger.ts'
import { Terminal } from './terminal.ts'

/** Reads the environment exactly once for the whole CLI process. */
export interface CliContext {
  readonly config: PlatformConfig
  readonly logger: Logger
  readonly terminal: Terminal
  readonly root: string
}

/**
 * Logs are pretty lines when stdout is a terminal (LOG_FORMAT=json says otherwise), JSON lines
 * elsewhere; on a terminal they go above the status area, so the two never garble each other.
 */
export function createCliContext(root: string): CliContext {
  const config = loadConfig(process.env)
  const terminal = new Terminal()
  const onTerminal = process.stdout.isTTY === true
  const format = config.logFormat ?? (onTerminal ? 'pretty' : 'json')
  const logger = createLogger({
    level: config.logLevel,
    format,
    colors: onTerminal,
    ...(onTerminal && terminal.interactive ? { destination: terminal.logLines } : {}),
  })
  return { config, root, terminal, logger }
}
