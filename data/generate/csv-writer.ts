import { once } from 'node:events'
import { createWriteStream } from 'node:fs'
import { pipeline } from 'node:stream/promises'
import { stringify } from 'csv-stringify'
import type { FileSpec, RowOf } from '../olist/files.ts'
import { type CellValue, formatCell } from '../olist/values.ts'

/** Streams typed rows of one Olist file to CSV, honouring backpressure. */
export class CsvFileWriter<S extends FileSpec> {
  readonly #spec: S
  readonly #stringifier = stringify()
  readonly #done: Promise<void>
  #rows = 0

  constructor(spec: S, path: string) {
    this.#spec = spec
    this.#done = pipeline(this.#stringifier, createWriteStream(path))
    // The header comes from the spec, never typed twice.
    this.#stringifier.write(spec.columns.map((c) => c.name))
  }

  get rows(): number {
    return this.#rows
  }

  async write(row: RowOf<S>): Promise<void> {
    const values = row as Record<string, CellValue>
    const cells = this.#spec.columns.map((c) => formatCell(c, values[c.name] ?? null))
    this.#rows++
    if (!this.#stringifier.write(cells)) await once(this.#stringifier, 'drain')
  }

  async close(): Promise<void> {
    this.#stringifier.end()
    await this.#done
  }
}
