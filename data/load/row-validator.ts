import type { FileSpec } from '../olist/files.ts'
import { isCellError, parseCell } from '../olist/values.ts'

export type ValidationResult =
  | { readonly ok: true; readonly row: Record<string, string | number | null> }
  | { readonly ok: false; readonly column: string | null; readonly reason: string }

/** Looks up ids of parent files loaded earlier; only id Sets are kept, never rows. */
export interface KeyLookup {
  has(file: string, id: string): boolean
}

/** The ids of a file seen so far (an `IdSet`, or any set of strings). */
export interface SeenKeys {
  has(id: string): boolean
  add(id: string): unknown
}

/** Checks one record against its file spec: field count, cell types, key and references. */
export class RowValidator {
  readonly #spec: FileSpec
  readonly #keys: KeyLookup
  readonly #seenKeys: SeenKeys | null

  constructor(spec: FileSpec, keys: KeyLookup, seenKeys: SeenKeys | null) {
    this.#spec = spec
    this.#keys = keys
    this.#seenKeys = seenKeys
  }

  validate(fields: readonly string[]): ValidationResult {
    const columns = this.#spec.columns
    if (fields.length !== columns.length) {
      return {
        ok: false,
        column: null,
        reason: `expected ${columns.length} fields, got ${fields.length}`,
      }
    }
    const row: Record<string, string | number | null> = {}
    for (let i = 0; i < columns.length; i++) {
      const column = columns[i]!
      const value = parseCell(column, fields[i]!)
      if (isCellError(value)) return { ok: false, column: column.name, reason: value.reason }
      row[column.name] = value
    }
    for (const ref of this.#spec.references) {
      const id = row[ref.column] as string
      if (!this.#keys.has(ref.file, id)) {
        return {
          ok: false,
          column: ref.column,
          reason: `${ref.column} ${id} not found in ${ref.file}`,
        }
      }
    }
    const key = this.#spec.key
    if (key !== undefined && this.#seenKeys !== null) {
      const id = row[key] as string
      if (this.#seenKeys.has(id))
        return { ok: false, column: key, reason: `duplicate ${key} ${id}` }
      this.#seenKeys.add(id)
    }
    return { ok: true, row }
  }
}
