import { createReadStream } from 'node:fs'
import { Transform } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { type CsvError, type InfoRecord, type Options, parse } from 'csv-parse'
import { parse as parseSync } from 'csv-parse/sync'
import { ByteWindow } from './byte-window.ts'

/** One physical CSV record with the line it starts on, or a record csv-parse could not read. */
export type CsvEntry =
  | { readonly kind: 'record'; readonly line: number; readonly fields: string[] }
  | {
      readonly kind: 'broken'
      readonly line: number
      /** Index of the field where the parser gave up, when known. */
      readonly field: number | null
      readonly reason: string
      readonly raw: string
    }

const LF = 0x0a
const CR = '\r'

// Field counts are checked by the validator so a short record does not poison the expected
// length of the records after it; only quoting errors reach `on_skip`.
const BASE_OPTIONS = {
  relax_quotes: false,
  relax_column_count: true,
  skip_records_with_error: true,
  raw: true,
  record_delimiter: ['\r\n', '\n'],
} as const satisfies Options

const QUOTE_REASONS: Record<string, string> = {
  CSV_QUOTE_NOT_CLOSED: 'unclosed quote',
  CSV_INVALID_CLOSING_QUOTE: 'quote not followed by a delimiter (unclosed or stray quote)',
  INVALID_OPENING_QUOTE: 'quote inside an unquoted value',
}

/**
 * Turns csv-parse callbacks into line-numbered entries. Records csv-parse skips leave a byte gap
 * before the next good record; the gap's first line is reported broken and the rest is parsed
 * again, so an unclosed quote costs one line instead of everything it swallowed.
 */
class EntryBuilder {
  readonly #window: ByteWindow
  #prevEnd: number
  #skips: CsvError[] = []

  constructor(window: ByteWindow, start: number) {
    this.#window = window
    this.#prevEnd = start
  }

  readonly onSkip = (error: CsvError | undefined): undefined => {
    if (error !== undefined) this.#skips.push(error)
  }

  readonly onRecord = (ext: { record: string[] }, info: InfoRecord): CsvEntry[] => {
    const raw = info.raw ?? ''
    const end = info.bytes
    // With a CRLF delimiter csv-parse keeps the CR in `raw` but not the LF.
    const crlf = raw.endsWith(CR) && this.#window.byteAt(end - 1) === LF ? 1 : 0
    const start = end - Buffer.byteLength(raw) - crlf
    const entries = this.#gap(start)
    entries.push({ kind: 'record', line: this.#window.lineAt(start), fields: ext.record })
    this.#prevEnd = end
    this.#window.release(end)
    return entries
  }

  /** Entries for whatever followed the last good record; call once input has ended. */
  finish(): CsvEntry[] {
    return this.#gap(this.#window.end)
  }

  #gap(start: number): CsvEntry[] {
    const from = this.#prevEnd
    const error = this.#skips[0]
    this.#skips = []
    if (start <= from || error === undefined) return []
    const line = this.#window.lineAt(from)
    const bytes = this.#window.slice(from, start)
    const lf = bytes.indexOf(LF)
    const firstLine = lf === -1 ? bytes : bytes.subarray(0, lf + 1)
    const field = typeof error.column === 'number' ? error.column : null
    const entries: CsvEntry[] = [
      {
        kind: 'broken',
        line,
        field,
        reason: QUOTE_REASONS[error.code] ?? error.message,
        raw: firstLine.toString('utf8').replace(/\r?\n$/, ''),
      },
    ]
    if (lf !== -1 && lf + 1 < bytes.length)
      entries.push(...parseSegment(bytes.subarray(lf + 1), line + 1))
    return entries
  }
}

function parserOptions(builder: EntryBuilder, bom: boolean): Options {
  return {
    ...BASE_OPTIONS,
    bom,
    // With `raw: true` on_record gets `{ record, raw }` and the parser pushes whatever it
    // returns; the typings assume plain string[] records, hence the cast.
    on_record: builder.onRecord as unknown as Options['on_record'],
    on_skip: builder.onSkip,
  }
}

/** Parses an in-memory piece of a file whose first byte is on `firstLine`. */
function parseSegment(bytes: Buffer, firstLine: number): CsvEntry[] {
  const window = new ByteWindow(firstLine)
  window.append(bytes)
  const builder = new EntryBuilder(window, 0)
  const batches = parseSync(bytes, parserOptions(builder, false)) as unknown as CsvEntry[][]
  return [...batches.flat(), ...builder.finish()]
}

/**
 * Streams a CSV file as line-numbered entries in file order. Memory stays bounded by the
 * read-ahead, except that an unclosed quote holds the text it swallowed until it is re-parsed.
 */
export async function* readCsvEntries(path: string): AsyncGenerator<CsvEntry> {
  const window = new ByteWindow()
  const builder = new EntryBuilder(window, 0)
  const parser = parse(parserOptions(builder, true))
  // The tap feeds the window before the parser sees a chunk, so every offset the parser
  // reports is already in the window.
  const tap = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      window.append(chunk)
      callback(null, chunk)
    },
  })
  const done = pipeline(createReadStream(path), tap, parser)
  try {
    for await (const batch of parser as AsyncIterable<CsvEntry[]>) yield* batch
    yield* builder.finish()
    await done
  } finally {
    parser.destroy()
    await done.catch(() => undefined)
  }
}
