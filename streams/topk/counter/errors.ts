import { PlatformError } from '../../../core/errors.ts'

/** The codes the top-K counter raises: bad arguments, bad shape, unreadable bytes. */
export type CounterErrorCode = 'EVENT_INVALID' | 'CONFIG_INVALID' | 'DECODE_FAILED'

/** Every counter failure is a PlatformError tagged with the component, so callers branch on `code`. */
export function counterError(
  code: CounterErrorCode,
  message: string,
  details: Readonly<Record<string, unknown>> = {},
  cause?: unknown,
): PlatformError {
  return new PlatformError(code, message, {
    cause,
    context: { component: 'top-k-counter', ...details },
  })
}

export const decodeFailed = (message: string, details: Record<string, unknown> = {}) =>
  counterError('DECODE_FAILED', `top-K counter bytes: ${message}`, details)
