import { PlatformError } from '../../core/errors.ts'

/** Points between the runner's effects where a crash is most telling. */
export const crashPoints = [
  'after-dead-letters',
  'after-sink',
  'after-state',
  'after-commit',
] as const

/** Points between the steps of a swap (replay/service.ts). */
export const swapCrashPoints = [
  'swap-after-build-stopped',
  'swap-after-live-set',
  'swap-after-followed',
] as const

export type CrashPoint = (typeof crashPoints)[number] | (typeof swapCrashPoints)[number]
const allPoints: readonly string[] = [...crashPoints, ...swapCrashPoints]

export interface FaultInjector {
  reached(point: CrashPoint): void
}

/**
 * For crash tests only: `point:n` kills the process with SIGKILL the n-th time a runner
 * reaches `point` (counted per thread), like `kill -9` at exactly the worst moment;
 * `point:n:thread` ends only the worker thread that reaches it (`exitThread`), as a thread that
 * dies mid-batch would. The main thread ignores `:thread` points.
 */
export function crashInjector(
  spec: string,
  kill: () => void,
  exitThread?: () => void,
): FaultInjector {
  const [point, count, scope] = spec.split(':')
  const n = Number(count)
  if (
    !allPoints.includes(point ?? '') ||
    !Number.isInteger(n) ||
    n < 1 ||
    (scope !== undefined && scope !== 'thread')
  ) {
    throw new PlatformError(
      'CONFIG_INVALID',
      `FAULT_CRASH_AT must be <point>:<n>[:thread] with point one of ${allPoints.join(', ')}`,
    )
  }
  const crash = scope === 'thread' ? exitThread : kill
  let seen = 0
  return {
    reached(at) {
      if (crash && at === point && ++seen === n) crash()
    },
  }
}
