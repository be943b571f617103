const LF = 0x0a

/**
 * The bytes of a CSV source from the last record boundary on, plus a forward-only line counter.
 * Lines are counted at LF only, so CRLF and CR inside quoted values do not skew line numbers
 * (csv-parse's own `info.lines` counts both CR and LF).
 */
export class ByteWindow {
  #chunks: Buffer[] = []
  #base = 0
  #end = 0
  #countedTo = 0
  #line: number

  constructor(firstLine = 1) {
    this.#line = firstLine
  }

  get end(): number {
    return this.#end
  }

  append(chunk: Buffer): void {
    this.#chunks.push(chunk)
    this.#end += chunk.length
  }

  /** 1-based line of the byte at `offset`; offsets must not decrease between calls. */
  lineAt(offset: number): number {
    let pos = this.#countedTo
    let chunkStart = this.#base
    for (const chunk of this.#chunks) {
      const chunkEnd = chunkStart + chunk.length
      if (chunkEnd > pos && chunkStart < offset) {
        let at = chunk.indexOf(LF, pos - chunkStart)
        const stop = Math.min(offset, chunkEnd) - chunkStart
        while (at !== -1 && at < stop) {
          this.#line++
          at = chunk.indexOf(LF, at + 1)
        }
        pos = Math.min(offset, chunkEnd)
      }
      if (chunkEnd >= offset) break
      chunkStart = chunkEnd
    }
    this.#countedTo = Math.max(this.#countedTo, offset)
    return this.#line
  }

  byteAt(offset: number): number | undefined {
    let chunkStart = this.#base
    for (const chunk of this.#chunks) {
      if (offset < chunkStart + chunk.length) return chunk[offset - chunkStart]
      chunkStart += chunk.length
    }
    return undefined
  }

  slice(from: number, to: number): Buffer {
    const parts: Buffer[] = []
    let chunkStart = this.#base
    for (const chunk of this.#chunks) {
      const chunkEnd = chunkStart + chunk.length
      if (chunkEnd > from && chunkStart < to) {
        parts.push(
          chunk.subarray(Math.max(from - chunkStart, 0), Math.min(to, chunkEnd) - chunkStart),
        )
      }
      chunkStart = chunkEnd
    }
    return parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts)
  }

  /** Drops whole chunks before `offset` that were already line-counted; keeps memory bounded. */
  release(offset: number): void {
    const keepFrom = Math.min(offset, this.#countedTo)
    while (this.#chunks.length > 1) {
      const first = this.#chunks[0] as Buffer
      if (this.#base + first.length > keepFrom) break
      this.#base += first.length
      this.#chunks.shift()
    }
  }
}
