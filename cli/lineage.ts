import type { Command } from 'commander'
import { createClickHouse } from '../core/clickhouse.ts'
import { PlatformError } from '../core/errors.ts'
import {
  declaredLineage,
  formatLineage,
  type LiveGeneration,
  liveOf,
  registrySchemaVersions,
  resolveLineage,
} from '../ops/lineage.ts'
import { listJobGenerations } from '../replay/generations.ts'
import type { CliContext } from './context.ts'
import { platformControl } from './generation-control.ts'

/**
 * Each job's live generation: from the ClickHouse server in distributed mode; in embedded mode
 * from the running platform process, which holds the chDB data (asked over GraphQL, as the
 * replay commands do). Read before anything is printed, so a platform that is not running is
 * one clear error rather than "unknown" in every block.
 */
async function readLiveGenerations(ctx: CliContext): Promise<Map<string, LiveGeneration>> {
  const { config } = ctx
  if (config.clickhouseUrl) {
    const clickhouse = createClickHouse({ url: config.clickhouseUrl, path: config.clickhousePath })
    try {
      return liveOf(await listJobGenerations(clickhouse))
    } catch (error) {
      throw new PlatformError(
        'SERVICE_UNAVAILABLE',
        `ClickHouse at ${config.clickhouseUrl} did not answer: ${(error as Error).message}`,
        { cause: error, retriable: true },
      )
    } finally {
      await clickhouse.close()
    }
  }
  return liveOf(await platformControl(ctx).generations())
}

export function registerLineageCommands(
  program: Command,
  { createContext }: { createContext: () => CliContext },
): void {
  program
    .command('lineage')
    .argument('[table]', 'one derived table or view, by stable name (default: every one)')
    .description(
      'Where each derived table and view comes from and who reads it: writing job and version, input topics with their registered schema versions, live generation, views, GraphQL fields and dashboard panels',
    )
    .option('--json', 'print JSON instead of text')
    .action(async (table: string | undefined, options: { json?: boolean }) => {
      const ctx = createContext()
      const all = await declaredLineage({ topicPrefix: ctx.config.topicPrefix })
      const chosen = table === undefined ? all : all.filter((l) => l.name === table)
      if (chosen.length === 0) {
        throw new PlatformError(
          'BAD_REQUEST',
          `no derived table or view is named ${table}; known: ${all.map((l) => l.name).join(', ')}`,
        )
      }
      const live = await readLiveGenerations(ctx)
      const lineage = await resolveLineage(chosen, {
        schemaVersions: registrySchemaVersions(ctx.config.schemaRegistryUrl),
        liveGenerations: async () => live,
      })
      process.stdout.write(
        options.json ? `${JSON.stringify(lineage, null, 2)}\n` : formatLineage(lineage),
      )
    })
}
