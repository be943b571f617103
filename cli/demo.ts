/**
 * `kappa demo`: the local stack, a generated dataset, every job and the API on embedded
 * ClickHouse, the dataset published through the simulator, then a summary of where things are
 * and what to try next. Each step shows in the terminal's status area.
 */
import { existsSync } from 'node:fs'
import { join, relative } from 'node:path'
import { configVariables, type PlatformConfig } from '../core/config.ts'
import { PlatformError } from '../core/errors.ts'
import { createPlatform, type Platform } from '../core/platform.ts'
import { createPacing, generateOlist, type SimulationSummary } from '../data/index.ts'
import { startLocalStack } from '../ops/stack/index.ts'
import { type ServedToken, servingConfig } from './admin-token.ts'
import type { CliContext } from './context.ts'
import { simulateDirectory } from './data-commands.ts'
import { bootstrap, installArtifacts } from './services.ts'

export interface DemoOptions {
  readonly scale: number
  readonly seed: number
  /** Start Kafka, the registry and Redis here (false when KAFKA_BROKERS names others). */
  readonly localStack: boolean
  /** Runs every job and the API in this process on the platform (main.ts's `serve`). */
  readonly serve: (platform: Platform) => Promise<void>
}

export async function runDemo(ctx: CliContext, options: DemoOptions): Promise<void> {
  const { terminal, root, logger } = ctx
  if (!(options.scale > 0) || !Number.isSafeInteger(options.seed)) {
    throw new PlatformError(
      'CONFIG_INVALID',
      `--scale must be a positive number and --seed an integer (got ${options.scale}, ${options.seed})`,
    )
  }
  if (options.localStack) {
    terminal.step('checking the Kafka and registry artifacts (ops/install.sh)')
    await installArtifacts(root, (line) => terminal.print(line))
    terminal.step('starting Kafka, the schema registry and Redis')
    await startLocalStack({ root, logger, redisUrl: ctx.config.redisUrl })
  }
  const dir = join(root, 'var', 'demo', `olist-scale${options.scale}-seed${options.seed}`)
  if (!existsSync(join(dir, 'olist_orders_dataset.csv'))) {
    await generateOlist({
      scale: options.scale,
      seed: options.seed,
      outDir: dir,
      onProgress: (p) =>
        terminal.progress('generating Olist-like orders', p.orders, p.ordersTotal, 'orders'),
    })
  }
  const { config, served } = servingConfig(root, ctx.config, logger)
  const platform = createPlatform(config, logger, 'kappa-demo')
  terminal.step('creating the topics and registering the Avro schemas')
  await bootstrap(platform)
  terminal.step('starting every stream job and the API on embedded ClickHouse')
  await options.serve(platform)
  terminal.step('publishing the orders through the simulator')
  const published = await simulateDirectory(platform, {
    dir,
    pacing: createPacing({ mode: 'max' }),
    batchSize: 500,
    // One checkpoint per namespace and topic prefix: a demo publishing to other topics
    // starts from the beginning instead of finding the data already published.
    checkpointPath: join(
      dir,
      `.simulate-checkpoint.${config.namespace}.${config.topicPrefix || 'olist'}.json`,
    ),
    rejectsPath: join(dir, 'rejects.csv'),
    restart: false,
    strict: true,
    terminal,
    quiet: true,
  })
  terminal.clear()
  const summary = demoSummary(config, served, published)
  if (terminal.interactive) {
    for (const line of summary.lines) terminal.print(line)
  } else {
    logger.info(summary.fields, 'demo is up')
  }
}

/** Variables the commands must share with this process to find it and its token file. */
const SHARED = {
  HTTP_PORT: (c: PlatformConfig) => String(c.httpPort),
  KAPPA_NAMESPACE: (c: PlatformConfig) => c.namespace,
  TOPIC_PREFIX: (c: PlatformConfig) => c.topicPrefix,
  SCHEMA_REGISTRY_URL: (c: PlatformConfig) => c.schemaRegistryUrl,
} as const

/** `HTTP_PORT=4700 KAPPA_NAMESPACE=wtc`: what a command needs set to reach this demo. */
export function sharedVariables(config: PlatformConfig): string {
  return Object.entries(SHARED)
    .filter(
      ([name, of]) => of(config) !== (configVariables[name as keyof typeof SHARED].default ?? ''),
    )
    .map(([name, of]) => `${name}=${of(config)}`)
    .join(' ')
}

/** What the demo says when it is up: for a person (lines) and for a log (fields). */
export function demoSummary(
  config: PlatformConfig,
  served: ServedToken,
  published: SimulationSummary | null,
): { lines: string[]; fields: Record<string, unknown> } {
  const url = `http://127.0.0.1:${config.httpPort}`
  const shared = sharedVariables(config)
  const next = [
    ['npx kappa generations', "each job's table generations"],
    ['npx kappa replay reviews --dry-run', 'what rebuilding a job would read and write'],
    ['npx kappa lineage order_delay', 'where a table comes from and who reads it'],
  ] as const
  const token =
    served.from === 'file'
      ? `${relative(process.cwd(), served.path) || served.path} (only you can read it; the commands below read it)`
      : 'the ADMIN_TOKEN this process was started with (set it for the commands below too)'
  const count = (n: number) => n.toLocaleString('en-US')
  const data = published
    ? `${count(published.events)} events published in ${(published.elapsedMs / 1000).toFixed(1)} s; the jobs catch up within seconds`
    : 'the data was published by an earlier run; the jobs pick up where they left off'
  const width = Math.max(...next.map(([command]) => command.length))
  return {
    lines: [
      '',
      `kappa demo is up (${data}).`,
      '',
      `  console      ${url}/`,
      `  GraphQL      ${url}/graphql (GraphiQL in a browser)`,
      `  metrics      ${url}/metrics, health ${url}/health`,
      `  admin token  ${token}`,
      '',
      'Next, in another terminal:',
      ...(shared ? [`  export ${shared}`] : []),
      ...next.map(([command, what]) => `  ${command.padEnd(width)}   ${what}`),
      '',
      'Ctrl-C stops the platform; then npx kappa stack down stops Kafka, the registry and Redis.',
      '',
    ],
    fields: {
      console: `${url}/`,
      graphql: `${url}/graphql`,
      metrics: `${url}/metrics`,
      health: `${url}/health`,
      adminToken: served.from === 'file' ? served.path : 'ADMIN_TOKEN',
      published: published?.events ?? 0,
      next: next.map(([command]) => (shared ? `${shared} ${command}` : command)),
    },
  }
}
