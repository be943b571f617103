import { type Logger, pino } from 'pino'

export type { Logger }

export interface LoggerOptions {
  readonly level?: string
  readonly name?: string
  /** Where JSON lines go; defaults to stdout. Tests pass a stream to read them back. */
  readonly destination?: NodeJS.WritableStream
}

/** The process's root logger; components take `logger.child({ component })`. */
export function createLogger(options: LoggerOptions = {}): Logger {
  const base = { level: options.level ?? 'info', name: options.name ?? 'kappa' }
  return options.destination ? pino(base, options.destination) : pino(base)
}

/** A logger that writes nothing, for unit tests and quiet CLI paths. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' })
}
