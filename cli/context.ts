import { loadConfig, type PlatformConfig } from '../core/config.ts'
import { createLogger, type Logger } from '../core/logger.ts'

/** Reads the environment exactly once for the whole CLI process. */
export interface CliContext {
  readonly config: PlatformConfig
  readonly logger: Logger
  readonly root: string
}

export function createCliContext(root: string): CliContext {
  const config = loadConfig(process.env)
  return { config, root, logger: createLogger({ level: config.logLevel }) }
}
