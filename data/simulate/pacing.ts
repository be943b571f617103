import { PlatformError } from '../../core/errors.ts'

/** Time as the simulator sees it; tests pass a fake that records sleeps. */
export interface Clock {
  /** Milliseconds on a monotonic scale. */
  now(): number
  /** Resolves after `ms`, or early (without error) when `signal` aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>
}

export const systemClock: Clock = {
  now: () => performance.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve) => {
      if (signal?.aborted) return resolve()
      const done = () => {
        clearTimeout(timer)
        signal?.removeEventListener('abort', done)
        resolve()
      }
      const timer = setTimeout(done, ms)
      signal?.addEventListener('abort', done, { once: true })
    }),
}

/**
 * `max`: no waiting. `replay`: the seed's time compression — a gap between consecutive event
 * times longer than `thresholdMs` becomes `baseMs`, shorter gaps are kept; then divided by
 * `speed`.
 */
export type PacingOptions =
  | { readonly mode: 'max' }
  | {
      readonly mode: 'replay'
      readonly speed?: number
      readonly thresholdMs?: number
      readonly baseMs?: number
    }

export const PACING_DEFAULTS = { speed: 1, thresholdMs: 300_000, baseMs: 30_000 } as const

/** Real milliseconds to wait between two consecutive event times. */
export type Pacing = (previousAt: number, nextAt: number) => number

export function createPacing(options: PacingOptions): Pacing {
  if (options.mode === 'max') return () => 0
  const { speed, thresholdMs, baseMs } = { ...PACING_DEFAULTS, ...options }
  const invalid = (what: string) => new PlatformError('CONFIG_INVALID', `pacing: ${what}`)
  if (!(Number.isFinite(speed) && speed > 0)) throw invalid('speed must be a number > 0')
  if (!(thresholdMs >= 0)) throw invalid('thresholdMs must be >= 0')
  if (!(baseMs >= 0)) throw invalid('baseMs must be >= 0')
  return (previousAt, nextAt) => {
    const gap = Math.max(0, nextAt - previousAt)
    return (gap > thresholdMs ? baseMs : gap) / speed
  }
}
