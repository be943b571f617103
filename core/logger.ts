import { type Logger, pino } from 'pino'
import pinoPretty from 'pino-pretty'

export type { Logger }

/** JSON lines for machines (files, collectors); `pretty` for a person at a terminal. */
export const LOG_FORMATS = ['json', 'pretty'] as const
export type LogFormat = (typeof LOG_FORMATS)[number]

export interface LoggerOptions {
  readonly level?: string
  readonly name?: string
  /** Default `json`. */
  readonly format?: LogFormat
  /** Colours in `pretty` lines (for a terminal); default false. */
  readonly colors?: boolean
  /** Where lines go; defaults to stdout. Tests pass a stream to read them back. */
  readonly destination?: NodeJS.WritableStream
}

/** The process's root logger; components take `logger.child({ component })`. */
export function createLogger(options: LoggerOptions = {}): Logger {
  const base = { level: options.level ?? 'info', name: options.name ?? 'kappa' }
  if (options.format === 'pretty') {
    // pino-pretty in this thread, not as a worker transport: a line is written before the
    // next one, so the CLI can keep its status area below them.
    const pretty = pinoPretty({
      destination: options.destination ?? process.stdout,
      sync: true,
      colorize: options.colors ?? false,
      translateTime: 'SYS:HH:MM:ss',
      ignore: 'pid,hostname,name,component,logger,timestamp',
      messageFormat: '{if component}{component}: {end}{msg}',
      singleLine: true,
      // kafkajs's `error` is a message, shown on the line; only `err` is an Error to expand.
      errorLikeObjectKeys: ['err'],
    })
    return pino(base, pretty)
  }
  return options.destination ? pino(base, options.destination) : pino(base)
}

/** A logger that writes nothing, for unit tests and quiet CLI paths. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' })
}
