import { access } from 'node:fs/promises'
import { join } from 'node:path'
import { PlatformError } from '../../core/errors.ts'
import type { Logger } from '../../core/logger.ts'
import {
  type FileSpec,
  LOAD_ORDER,
  OLIST_FILES,
  type OlistFileName,
  type OlistRowArgs,
} from '../olist/files.ts'
import { IdSet } from './id-set.ts'
import { readCsvEntries } from './record-reader.ts'
import type { CsvReject } from './reject-report.ts'
import { type KeyLookup, RowValidator } from './row-validator.ts'

export interface LoadOlistOptions {
  readonly dir: string
  /** Receives every valid row in file order; a returned promise is awaited (backpressure). */
  readonly onRow: (...args: OlistRowArgs) => void | Promise<void>
  readonly onReject: (reject: CsvReject) => void
  readonly logger: Logger
  readonly onProgress?: (file: OlistFileName, rowsDone: number) => void
  /** Rows between onProgress calls; default 10,000. */
  readonly progressEvery?: number
}

export interface FileLoadSummary {
  rows: number
  rejected: number
}

export interface LoadSummary {
  readonly files: Record<OlistFileName, FileLoadSummary>
}

/** Ids of the files other files reference, filled as those files load. */
class KeySets implements KeyLookup {
  readonly #sets = new Map<string, IdSet>()

  forFile(spec: FileSpec): IdSet | null {
    if (spec.key === undefined) return null
    const set = new IdSet()
    this.#sets.set(spec.name, set)
    return set
  }

  has(file: string, id: string): boolean {
    return this.#sets.get(file)?.has(id) ?? false
  }
}

function validateOptions(options: LoadOlistOptions): void {
  const invalid = (message: string) => new PlatformError('CONFIG_INVALID', `loadOlist: ${message}`)
  if (typeof options.dir !== 'string' || options.dir === '') throw invalid('dir must be a path')
  if (typeof options.onRow !== 'function') throw invalid('onRow must be a function')
  if (typeof options.onReject !== 'function') throw invalid('onReject must be a function')
  const every = options.progressEvery
  if (every !== undefined && !(Number.isInteger(every) && every > 0)) {
    throw invalid('progressEvery must be a positive integer')
  }
}

/**
 * Streams the nine Olist CSV files from `dir`, parents first, validating types, headers and
 * references. Bad records go to onReject and loading continues; a missing file or wrong
 * header throws PlatformError CSV_INVALID because nothing in that file can be trusted.
 */
export async function loadOlist(options: LoadOlistOptions): Promise<LoadSummary> {
  validateOptions(options)
  const keys = new KeySets()
  const files = {} as Record<OlistFileName, FileLoadSummary>
  for (const key of LOAD_ORDER) {
    const spec = OLIST_FILES[key]
    files[spec.name] = await loadFile(spec, keys, options)
  }
  return { files }
}

async function loadFile(
  spec: FileSpec,
  keys: KeySets,
  options: LoadOlistOptions,
): Promise<FileLoadSummary> {
  const file = spec.name as OlistFileName
  const path = join(options.dir, file)
  await access(path).catch((cause: unknown) => {
    throw new PlatformError('CSV_INVALID', `${file}: file not found in ${options.dir}`, {
      cause,
      context: { file },
    })
  })
  const started = performance.now()
  const every = options.progressEvery ?? 10_000
  const validator = new RowValidator(spec, keys, keys.forFile(spec))
  const onRow = options.onRow as (file: OlistFileName, row: unknown) => void | Promise<void>
  const summary: FileLoadSummary = { rows: 0, rejected: 0 }
  let headerSeen = false
  for await (const entry of readCsvEntries(path)) {
    if (!headerSeen) {
      checkHeader(spec, entry.kind === 'record' ? entry.fields : null)
      headerSeen = true
      continue
    }
    if (entry.kind === 'broken') {
      summary.rejected++
      const column = entry.field === null ? null : (spec.columns[entry.field]?.name ?? null)
      const where = column === null ? '' : ` in column ${column}`
      options.onReject({
        file,
        line: entry.line,
        column,
        reason: `${entry.reason}${where}`,
        raw: entry.raw,
      })
      continue
    }
    const result = validator.validate(entry.fields)
    if (!result.ok) {
      summary.rejected++
      options.onReject({ file, line: entry.line, column: result.column, reason: result.reason })
      continue
    }
    const pending = onRow(file, result.row)
    if (pending !== undefined) await pending
    summary.rows++
    if (summary.rows % every === 0) options.onProgress?.(file, summary.rows)
  }
  if (!headerSeen) checkHeader(spec, null)
  options.onProgress?.(file, summary.rows)
  options.logger.info(
    { file, ...summary, ms: Math.round(performance.now() - started) },
    'olist file loaded',
  )
  return summary
}

function checkHeader(spec: FileSpec, fields: readonly string[] | null): void {
  const expected = spec.columns.map((c) => c.name)
  if (
    fields !== null &&
    fields.length === expected.length &&
    fields.every((f, i) => f === expected[i])
  ) {
    return
  }
  const actual = fields === null ? 'no readable header' : fields.join(',')
  throw new PlatformError(
    'CSV_INVALID',
    `${spec.name}: header must be exactly "${expected.join(',')}" but was "${actual}"`,
    { context: { file: spec.name, expected, actual } },
  )
}
