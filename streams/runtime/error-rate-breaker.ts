import { PlatformError } from '../../core/errors.ts'

export interface ErrorRateBreakerOptions {
  /** How many of the latest records the rate is computed over. */
  readonly window?: number
  /** Share of dead-lettered records in the window that trips the breaker (0..1]. */
  readonly maxErrorRate?: number
  /** No verdict before this many records, so one bad record at start does not trip it. */
  readonly minRecords?: number
}

/**
 * The seed's "critical error rate": counts outcomes, not time, so it trips at the same
 * record on every replay. Once tripped it stays tripped until reset by an operator.
 */
export class ErrorRateBreaker {
  readonly window: number
  readonly maxErrorRate: number
  readonly minRecords: number
  private readonly outcomes: Uint8Array
  private next = 0
  private filled = 0
  private failures = 0
  private trippedReason: string | undefined

  constructor(options: ErrorRateBreakerOptions = {}) {
    this.window = options.window ?? 500
    this.maxErrorRate = options.maxErrorRate ?? 0.5
    this.minRecords = options.minRecords ?? 50
    if (!Number.isInteger(this.window) || this.window < 1) {
      throw new PlatformError('CONFIG_INVALID', 'breaker window must be a positive integer')
    }
    if (!(this.maxErrorRate > 0 && this.maxErrorRate <= 1)) {
      throw new PlatformError('CONFIG_INVALID', 'breaker maxErrorRate must be in (0, 1]')
    }
    if (
      !Number.isInteger(this.minRecords) ||
      this.minRecords < 1 ||
      this.minRecords > this.window
    ) {
      throw new PlatformError('CONFIG_INVALID', 'breaker minRecords must be in [1, window]')
    }
    this.outcomes = new Uint8Array(this.window)
  }

  /** Records outcomes in order; returns the reason once the breaker trips. */
  record(ok: number, failed: number): string | undefined {
    for (let i = 0; i < ok + failed; i++) this.push(i < ok ? 0 : 1)
    if (this.trippedReason === undefined && this.filled >= this.minRecords) {
      const rate = this.failures / this.filled
      if (rate > this.maxErrorRate) {
        this.trippedReason = `${this.failures} of the last ${this.filled} records were dead-lettered (${(rate * 100).toFixed(1)}% > ${(this.maxErrorRate * 100).toFixed(1)}%)`
      }
    }
    return this.trippedReason
  }

  get tripped(): string | undefined {
    return this.trippedReason
  }

  reset(): void {
    this.outcomes.fill(0)
    this.next = 0
    this.filled = 0
    this.failures = 0
    this.trippedReason = undefined
  }

  private push(failed: 0 | 1): void {
    if (this.filled === this.window) this.failures -= this.outcomes[this.next]!
    else this.filled++
    this.outcomes[this.next] = failed
    this.failures += failed
    this.next = (this.next + 1) % this.window
  }
}
