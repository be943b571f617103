/**
 * One error base for the platform. Callers decide retry / dead-letter / fail from
 * `code` and `retriable`, never from the message text.
 */
export const ErrorCodes = [
  'CONFIG_INVALID',
  'SERVICE_UNAVAILABLE',
  'SERVICE_START_FAILED',
  'DECODE_FAILED',
  'SCHEMA_UNKNOWN',
  'SCHEMA_INCOMPATIBLE',
  'EVENT_INVALID',
  'SINK_WRITE_FAILED',
  'STATE_STORE_FULL',
  'CSV_INVALID',
  'JOB_PAUSED',
  'CONSUMER_FAILED',
  'GENERATION_UNKNOWN',
  'GENERATION_REFUSED',
  'NOT_STARTED',
  'BAD_REQUEST',
] as const

export type ErrorCode = (typeof ErrorCodes)[number]

/** Where in the log a failing record came from; every field optional. A type alias (not an
 * interface) so it widens to the open context record. */
export type RecordContext = {
  readonly topic?: string
  readonly partition?: number
  readonly offset?: string
  readonly key?: string
}

export interface PlatformErrorOptions {
  readonly cause?: unknown
  readonly retriable?: boolean
  readonly context?: RecordContext & Readonly<Record<string, unknown>>
}

export class PlatformError extends Error {
  readonly code: ErrorCode
  readonly retriable: boolean
  readonly context: RecordContext & Readonly<Record<string, unknown>>

  constructor(code: ErrorCode, message: string, options: PlatformErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'PlatformError'
    this.code = code
    this.retriable = options.retriable ?? false
    this.context = Object.freeze({ ...(options.context ?? {}) })
  }

  /** A plain object for structured logs and dead-letter headers. */
  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      code: this.code,
      message: this.message,
      retriable: this.retriable,
      context: this.context,
      cause: this.cause instanceof Error ? this.cause.message : this.cause,
    }
  }
}

export function isPlatformError(error: unknown, code?: ErrorCode): error is PlatformError {
  return error instanceof PlatformError && (code === undefined || error.code === code)
}
