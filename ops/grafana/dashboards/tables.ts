import type { Columns, TableDefinition } from '../../../tables/table.ts'

/**
 * The column names of a declared table, typed: a column renamed in tables/ fails the
 * typecheck here instead of breaking a dashboard at run time.
 */
export const columnsOf = <C extends Columns>(table: TableDefinition<C>) =>
  Object.fromEntries(Object.keys(table.columns).map((name) => [name, name])) as {
    readonly [K in keyof C & string]: K
  }

/** The name of one of a table's derived views; throws if the table declares no such view. */
export function derivedView(table: TableDefinition, name: string): string {
  const view = table.derivedViews?.find((v) => v.name === name)
  if (!view) throw new Error(`${table.name} declares no derived view ${name}`)
  return view.name
}
