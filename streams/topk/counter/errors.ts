import { componentErrors, type TopKErrorCode } from '../errors.ts'

/** The codes the top-K counter raises: bad arguments, bad shape, unreadable bytes. */
export type CounterErrorCode = TopKErrorCode

export const counterError = componentErrors('top-k-counter')

export const decodeFailed = (message: string, details: Record<string, unknown> = {}) =>
  counterError('DECODE_FAILED', `top-K counter bytes: ${message}`, details)
