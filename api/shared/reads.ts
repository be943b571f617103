import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { DerivedView, TableDefinition } from '../../tables/table.ts'

/**
 * What one GraphQL Query field reads, declared in the module that registers the field: the
 * tables it reads through its `ReadScope` (`scope.relation`) and the views (`scope.view`).
 * These declarations are the lineage's GraphQL readers (ops/lineage.ts), and a `ReadScope`
 * refuses a read its field did not declare, so they cannot drift from what the resolvers do.
 */
export interface FieldReads {
  readonly field: string
  /** The module registering the field, from the repository root (`api/sales/monthly.ts`). */
  readonly module: string
  readonly tables: readonly TableDefinition[]
  readonly views: readonly DerivedView[]
}

const repoRoot = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..')

/** Every field's declaration, in the order the modules were loaded. */
const declared = new Map<string, FieldReads>()

/**
 * Declares what `field` reads; `moduleUrl` is the declaring module's `import.meta.url`. A view
 * read does not count as a read of its table: lineage lists the view's readers under the view.
 */
export function declareReads(
  field: string,
  moduleUrl: string,
  reads: { readonly tables?: readonly TableDefinition[]; readonly views?: readonly DerivedView[] },
): FieldReads {
  if (declared.has(field)) throw new Error(`the reads of ${field} are declared twice`)
  const module = relative(repoRoot, fileURLToPath(moduleUrl)).split('\\').join('/')
  const declaration = { field, module, tables: reads.tables ?? [], views: reads.views ?? [] }
  declared.set(field, declaration)
  return declaration
}

/** The declarations of every field whose module has been loaded (api/schema.ts loads them all). */
export const declaredReads = (): readonly FieldReads[] => [...declared.values()]
