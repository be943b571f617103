import { PlatformError } from '../../core/errors.ts'

/** The codes the top-K structures raise: bad arguments, bad sizing or shape, unreadable bytes. */
export type TopKErrorCode = 'EVENT_INVALID' | 'CONFIG_INVALID' | 'DECODE_FAILED'

/**
 * The error constructor of one top-K component: every failure is a PlatformError tagged with
 * the component, so callers branch on `code`.
 */
export function componentErrors(component: string) {
  return (
    code: TopKErrorCode,
    message: string,
    details: Readonly<Record<string, unknown>> = {},
    cause?: unknown,
  ): PlatformError =>
    new PlatformError(code, message, { cause, context: { component, ...details } })
}
