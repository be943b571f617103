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
 * reaches `point`, like `kill -9` at exactly the worst moment.
 */
export function crashInjector(spec: string, kill: () => void): FaultInjector {
  const [point, count] = spec.split(':')
  const n = Number(count)
  if (!allPoints.includes(point ?? '') || !Number.isInteger(n) || n < 1) {
    throw new PlatformError(
      'CONFIG_INVALID',
      `FAULT_CRASH_AT must be <point>:<n> with point one of ${allPoints.join(', ')}`,
    )
  }
  let seen = 0
  return {
    reached(at) {
      if (at === point && ++seen === n) kill()
    },
  }
}
