import { isDeepStrictEqual } from 'node:util'

export type Row = Readonly<Record<string, unknown>>

export interface RowDiff {
  readonly matched: number
  readonly missing: number
  readonly unexpected: number
  readonly different: number
  readonly duplicates: number
  /** The first few differences, one line each, in identity order. */
  readonly examples: readonly string[]
}

const keyOf = (row: Row, identity: readonly string[]) =>
  JSON.stringify(identity.map((column) => row[column] ?? null))

function index(rows: readonly Row[], identity: readonly string[]) {
  const byKey = new Map<string, Row>()
  let duplicates = 0
  for (const row of rows) {
    const key = keyOf(row, identity)
    if (byKey.has(key)) duplicates++
    else byKey.set(key, row)
  }
  return { byKey, duplicates }
}

// 1e-6 on top: both sides are rounded to 6 decimals before they get here.
const same = (a: unknown, e: unknown, within: number | undefined): boolean =>
  within !== undefined && typeof a === 'number' && typeof e === 'number'
    ? Math.abs(a - e) <= within + 1e-6
    : isDeepStrictEqual(a, e)

/** Row-for-row comparison by identity; every non-identity column must be equal. */
export function diffRows(
  actual: readonly Row[],
  expected: readonly Row[],
  identity: readonly string[],
  tolerance: Readonly<Record<string, number>> = {},
  maxExamples = 5,
): RowDiff {
  const got = index(actual, identity)
  const want = index(expected, identity)
  const keys = [...new Set([...got.byKey.keys(), ...want.byKey.keys()])].sort()
  const examples: string[] = []
  const note = (line: string) => {
    if (examples.length < maxExamples) examples.push(line)
  }
  let matched = 0
  let missing = 0
  let unexpected = 0
  let different = 0
  for (const key of keys) {
    const a = got.byKey.get(key)
    const e = want.byKey.get(key)
    if (a === undefined) {
      missing++
      note(`missing ${key}: expected ${JSON.stringify(e)}`)
    } else if (e === undefined) {
      unexpected++
      note(`unexpected ${key}: ${JSON.stringify(a)}`)
    } else {
      const columns = Object.keys(e).filter((c) => !same(a[c] ?? null, e[c] ?? null, tolerance[c]))
      if (columns.length === 0) {
        matched++
      } else {
        different++
        const detail = columns
          .map((c) => `${c}: got ${JSON.stringify(a[c])}, expected ${JSON.stringify(e[c])}`)
          .join('; ')
        note(`differs ${key}: ${detail}`)
      }
    }
  }
  if (got.duplicates > 0) note(`${got.duplicates} duplicate identities in the table`)
  if (want.duplicates > 0) note(`${want.duplicates} duplicate identities in the reference`)
  return {
    matched,
    missing,
    unexpected,
    different,
    duplicates: got.duplicates + want.duplicates,
    examples,
  }
}

export const isEqual = (diff: RowDiff): boolean =>
  diff.missing + diff.unexpected + diff.different + diff.duplicates === 0

export function describeDiff(table: string, diff: RowDiff): string {
  return [
    `${table}: ${diff.matched} rows equal, ${diff.different} differ, ${diff.missing} missing, ` +
      `${diff.unexpected} unexpected`,
    ...diff.examples.map((line) => `  ${line}`),
  ].join('\n')
}
