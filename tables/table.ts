/**
 * A derived table, declared once: its stable reader name, its columns (ClickHouse type, what a
 * job writes, what a reader gets back, and what the column means), how rows of one identity
 * replace each other, and the views built on it. Jobs take the name and the row type from here,
 * sinks the DDL, the API its column names, dashboards and lineage the descriptions.
 */
export interface Column<Write, Read> {
  readonly type: string
  readonly doc: string
  /** Type carriers only, never set: what a job writes, what a JSON reader receives. */
  readonly _write?: Write
  readonly _read?: Read
}

type AnyColumn = Column<unknown, unknown>
export type Columns = Readonly<Record<string, AnyColumn>>

const column = <W, R = W>(type: string, doc: string): Column<W, R> => ({ type, doc })

/**
 * Column types. Times are written as epoch milliseconds and read back as ClickHouse's text
 * (`2018-03-01 12:00:00.000`, UTC); 64-bit integers read as numbers because readers ask
 * ClickHouse not to quote them (`output_format_json_quote_64bit_integers = 0`).
 */
export const col = {
  string: (doc: string) => column<string>('String', doc),
  /** A string with few distinct values (states, statuses, categories). */
  label: (doc: string) => column<string>('LowCardinality(String)', doc),
  /** A large string stored compressed (serialized sketches). */
  blob: (doc: string) => column<string>('String CODEC(ZSTD(3))', doc),
  time: (doc: string) => column<number, string>("DateTime64(3, 'UTC')", doc),
  /** A calendar day, written and read as `YYYY-MM-DD`. */
  date: (doc: string) => column<string>('Date', doc),
  float: (doc: string) => column<number>('Float64', doc),
  int32: (doc: string) => column<number>('Int32', doc),
  int64: (doc: string) => column<number>('Int64', doc),
  uint8: (doc: string) => column<number>('UInt8', doc),
  uint16: (doc: string) => column<number>('UInt16', doc),
  uint32: (doc: string) => column<number>('UInt32', doc),
  uint64: (doc: string) => column<number>('UInt64', doc),
  bool: (doc: string) => column<boolean>('Bool', doc),
  labels: (doc: string) => column<readonly string[]>('Array(LowCardinality(String))', doc),
  strings: (doc: string) => column<readonly string[]>('Array(String)', doc),
  int64s: (doc: string) => column<readonly number[]>('Array(Int64)', doc),
  /** The same column, null allowed (a label stays low-cardinality). */
  nullable: <W, R>(inner: Column<W, R>): Column<W | null, R | null> => ({
    type: inner.type.startsWith('LowCardinality(')
      ? `LowCardinality(Nullable(${inner.type.slice('LowCardinality('.length, -1)}))`
      : `Nullable(${inner.type})`,
    doc: inner.doc,
  }),
}

/**
 * A view on a table's stable name; it follows the live generation because the name does.
 * `query` is written against a source relation, so a reader can also apply it to one
 * generation of the table.
 */
export interface DerivedView {
  readonly name: string
  readonly description: string
  readonly query: (source: string) => string
}

export interface TableDefinition<C extends Columns = Columns> {
  readonly name: string
  readonly description: string
  readonly columns: C
  /** The row identity: rows with equal keys replace each other. */
  readonly orderBy: readonly string[]
  /** ReplacingMergeTree keeps the row with the highest value of this column. */
  readonly version: string
  readonly derivedViews?: readonly DerivedView[]
}

/** Checks that the identity and version name declared columns. */
export const defineTable = <C extends Columns>(
  table: TableDefinition<C> & {
    readonly orderBy: ReadonlyArray<keyof C & string>
    readonly version: keyof C & string
  },
): TableDefinition<C> => table

/** What a job emits for one row of `T`. */
export type WriteRow<T extends TableDefinition> = {
  readonly [K in keyof T['columns']]: T['columns'][K] extends Column<infer W, unknown> ? W : never
}

/** What a JSON reader of the stable name gets for one row of `T` (plus `generation`). */
export type ReadRow<T extends TableDefinition> = {
  readonly [K in keyof T['columns']]: T['columns'][K] extends Column<unknown, infer R> ? R : never
}

/**
 * The declaration narrowed to the columns a physical table was built with: a generation an
 * earlier job version built is written only the columns it has (the rest it never shows).
 */
export function writtenAs(table: TableDefinition, builtWith?: readonly string[]): TableDefinition {
  if (builtWith === undefined) return table
  const columns = Object.entries(table.columns).filter(([name]) => builtWith.includes(name))
  return { ...table, columns: Object.fromEntries(columns) }
}

/** A constant of a column type's default value (empty, zero, NULL), typed as the column. */
export const defaultOf = (type: string): string =>
  `defaultValueOfTypeName('${type.replace(/ CODEC\(.*\)$/, '').replaceAll("'", "\\'")}')`

/** CREATE TABLE for one physical generation of `table` (e.g. `fact_order_lead_days__g2`). */
export function createStatement(table: TableDefinition, physical: string): string {
  const columns = Object.entries(table.columns)
    .map(([name, c]) => `      ${name} ${c.type}`)
    .join(',\n')
  return `
    CREATE TABLE IF NOT EXISTS ${physical} (
${columns}
    )
    ENGINE = ReplacingMergeTree(${table.version})
    ORDER BY ${table.orderBy.length === 1 ? table.orderBy[0] : `(${table.orderBy.join(', ')})`}`
}
