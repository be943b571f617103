import { PlatformError } from '../../../core/errors.ts'

/** The codes the sketch raises: bad arguments, bad sizing or shape mismatch, unreadable bytes. */
export type SketchErrorCode = 'EVENT_INVALID' | 'CONFIG_INVALID' | 'DECODE_FAILED'

/** Every sketch failure is a PlatformError tagged with the component, so callers branch on `code`. */
export function sketchError(
  code: SketchErrorCode,
  message: string,
  details: Readonly<Record<string, unknown>> = {},
  cause?: unknown,
): PlatformError {
  return new PlatformError(code, message, {
    cause,
    context: { component: 'count-min-sketch', ...details },
  })
}
