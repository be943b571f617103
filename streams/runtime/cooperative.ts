/**
 * Long synchronous work (decoding and applying thousands of records) holds the event loop,
 * and every job of the process, its heartbeat timers and the API wait behind it; awaiting an
 * already-resolved promise does not let them in. `pause()` yields to the event loop once a
 * slice of `sliceMs` has been used, so timers and I/O run between slices.
 */
export class Slicer {
  private since: number

  constructor(
    private readonly sliceMs = 20,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.since = this.now()
  }

  /** Whether the slice is used up: a hot loop checks this before awaiting `pause()`. */
  due(): boolean {
    return this.now() - this.since >= this.sliceMs
  }

  async pause(): Promise<void> {
    if (!this.due()) return
    await new Promise((resolve) => setImmediate(resolve))
    this.since = this.now()
  }
}
