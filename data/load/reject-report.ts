import { createWriteStream } from 'node:fs'
import { pipeline } from 'node:stream/promises'
import { stringify } from 'csv-stringify'

/** A record the loader could not accept; `line` is where the record starts in the file. */
export interface CsvReject {
  readonly file: string
  readonly line: number
  readonly column: string | null
  readonly reason: string
  readonly raw?: string
}

/** Writes rejects as CSV `file,line,column,reason` for people to inspect. */
export async function writeRejectReport(
  path: string,
  rejects: Iterable<CsvReject> | AsyncIterable<CsvReject>,
): Promise<void> {
  const stringifier = stringify({ header: true, columns: ['file', 'line', 'column', 'reason'] })
  await pipeline(
    async function* () {
      for await (const r of rejects)
        yield { file: r.file, line: r.line, column: r.column ?? '', reason: r.reason }
    },
    stringifier,
    createWriteStream(path),
  )
}
