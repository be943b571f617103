import { componentErrors, type TopKErrorCode } from '../errors.ts'

/** The codes the sketch raises: bad arguments, bad sizing or shape mismatch, unreadable bytes. */
export type SketchErrorCode = TopKErrorCode

export const sketchError = componentErrors('count-min-sketch')
