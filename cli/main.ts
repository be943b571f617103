import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Command } from 'commander'
import { apiServicesOf } from '../api/services.ts'
import { startHttpServer } from '../core/http.ts'
import { createPlatform, type Platform } from '../core/platform.ts'
import { localStackStatus, startLocalStack, stopLocalStack } from '../ops/stack/index.ts'
import { ReplayService } from '../replay/service.ts'
import { registerTableMetrics } from '../sinks/table-metrics.ts'
import { startJobs } from '../streams/job-host.ts'
import { jobCatalogue } from '../streams/jobs.ts'
import { crashInjector } from '../streams/runtime/faults.ts'
import { servingConfig } from './admin-token.ts'
import { type CliContext, createCliContext } from './context.ts'
import { registerDataCommands } from './data-commands.ts'
import { runDemo } from './demo.ts'
import { onShutdown } from './lifecycle.ts'
import { registerLineageCommands } from './lineage.ts'
import { registerReplayCommands } from './replay-commands.ts'
import { bootstrap, installArtifacts } from './services.ts'
import { registerSetupCommand } from './setup.ts'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const program = new Command('kappa').description(
  'Kappa-architecture order analytics: Kafka → stream jobs → ClickHouse → GraphQL',
)

function stackOptions(ctx: CliContext) {
  return { root: ctx.root, logger: ctx.logger, redisUrl: ctx.config.redisUrl }
}

const stack = program.command('stack').description('The local-process stack (no Docker needed)')
stack
  .command('up')
  .description('Install artifacts if missing, start Kafka, the schema registry and Redis')
  .action(async () => {
    const ctx = createCliContext(root)
    await installArtifacts(root)
    const addresses = await startLocalStack(stackOptions(ctx))
    console.log(JSON.stringify(addresses, null, 2))
  })
stack
  .command('down')
  .description('Stop the processes `stack up` started')
  .action(async () => {
    await stopLocalStack(stackOptions(createCliContext(root)))
  })
stack
  .command('status')
  .description('Show which services run, their pids, addresses and logs')
  .action(async () => {
    console.table(await localStackStatus(stackOptions(createCliContext(root))))
  })

program
  .command('topics')
  .description('Create bronze and dead-letter topics and register the Avro schemas')
  .action(async () => {
    const ctx = createCliContext(root)
    const platform = createPlatform(ctx.config, ctx.logger, 'kappa-topics')
    await bootstrap(platform)
    await platform.close()
  })

function resolveJobs(names: string[]) {
  const unknown = names.filter((name) => !jobCatalogue[name])
  if (unknown.length > 0) {
    throw new Error(
      `unknown job(s): ${unknown.join(', ')}; known: ${Object.keys(jobCatalogue).join(', ')}`,
    )
  }
  return (names.length > 0 ? names : Object.keys(jobCatalogue)).map((name) => jobCatalogue[name]!)
}

/** Jobs plus the HTTP server (GraphQL when `withApi`, always /metrics and /health). */
async function serve(platform: Platform, jobNames: string[] | null, withApi: boolean) {
  const { faultCrashAt } = platform.config
  const faults = faultCrashAt
    ? crashInjector(faultCrashAt, () => process.kill(process.pid, 'SIGKILL'))
    : undefined
  const jobs =
    jobNames === null
      ? undefined
      : await startJobs(platform, resolveJobs(jobNames), {
          ...(faults ? { faults, faultCrashAt: faultCrashAt! } : {}),
          // A job that gave up on its consumer takes the process down, so a supervisor
          // restarts it, rather than serving on with one job dead.
          onFatal: () => process.kill(process.pid, 'SIGTERM'),
        })
  // The host moves jobs between generations (swaps, rollbacks): ask it for the current runners.
  const runners = () => jobs?.runners ?? []
  // Where jobs run it builds generations too; elsewhere it swaps, rolls back and drops them.
  const replay = new ReplayService({
    platform,
    ...(jobs ? { host: jobs } : {}),
    ...(faults ? { faults } : {}),
  })
  if (jobs) await replay.start()
  registerTableMetrics(platform.metrics, platform.clickhouse, platform.logger)
  // Where the tables stand, kept in memory for the API's cache and its asOf lines.
  const versions = withApi
    ? new (await import('../api/shared/data-versions.ts')).DataVersions({
        clickhouse: platform.clickhouse,
        redis: platform.redis,
        namespace: platform.config.namespace,
        logger: platform.logger,
      })
    : undefined
  await versions?.start()
  // Loaded only when served: graphql-yoga alone takes a second to import.
  const yoga = withApi
    ? (await import('../api/yoga.ts')).createApi({
        ...(versions ? { versions } : {}),
        ...apiServicesOf(platform, {
          replay,
          localJobs: () =>
            (jobs?.deployments ?? []).map(({ runner, deployment }) => ({
              name: runner.name,
              generation: deployment.generation,
              ...runner.status,
              paused: runner.pausedReason,
            })),
        }),
      })
    : undefined
  const server = await startHttpServer({
    port: platform.config.httpPort,
    host: platform.config.httpHost,
    metrics: platform.metrics,
    logger: platform.logger,
    // The web console (`/`, `/assets/…`) beside GraphQL; every other path stays yoga's.
    ...(yoga
      ? {
          app: (await import('../console/server.ts')).consoleHandler(yoga, {
            logger: platform.logger,
          }),
        }
      : {}),
    health: {
      clickhouse: async () => ({ ok: await platform.clickhouse.ping().then((r) => r.success) }),
      redis: async () => ({ ok: (await platform.redis.ping()) === 'PONG' }),
      jobs: async () => {
        return {
          ok: runners().every((r) => r.status.healthy),
          detail: Object.fromEntries(runners().map((r) => [r.name, r.status])),
        }
      },
    },
  })
  onShutdown(platform.logger, async () => {
    const unhealthy = runners().some((r) => !r.status.healthy)
    versions?.stop()
    await replay.stop()
    await jobs?.stop()
    server.close()
    await platform.close()
    if (unhealthy) process.exitCode = 1
  })
}

program
  .command('run')
  .argument('[jobs...]', 'jobs to run (default: all)')
  .description(`Run stream jobs in this process; known: ${Object.keys(jobCatalogue).join(', ')}`)
  .option('--api', 'also serve GraphQL on /graphql')
  .action(async (jobs: string[], options: { api?: boolean }) => {
    const ctx = createCliContext(root)
    // Serving mutations needs an admin token: ADMIN_TOKEN, else one in a file under var/.
    const config = options.api ? servingConfig(root, ctx.config, ctx.logger).config : ctx.config
    await serve(createPlatform(config, ctx.logger, 'kappa-run'), jobs, options.api ?? false)
  })

program
  .command('serve')
  .description('Serve the GraphQL API (/graphql), /metrics and /health')
  .action(async () => {
    const ctx = createCliContext(root)
    await serve(createPlatform(ctx.config, ctx.logger, 'kappa-api'), null, true)
  })

program
  .command('demo')
  .description(
    'Everything on one machine: start the local stack, run every job and the API on embedded ClickHouse, and replay generated Olist orders through the simulator',
  )
  .option('--scale <s>', 'size of the generated dataset (1 = Olist size)', '0.05')
  .option('--seed <n>', 'generator seed', '1')
  .action(async (options: { scale: string; seed: string }) => {
    await runDemo(createCliContext(root), {
      scale: Number(options.scale),
      seed: Number(options.seed),
      localStack: !process.env.KAFKA_BROKERS,
      serve: (platform) => serve(platform, [], true),
    })
  })

registerDataCommands(program, { createContext: () => createCliContext(root) })
registerReplayCommands(program, { createContext: () => createCliContext(root) })
registerLineageCommands(program, { createContext: () => createCliContext(root) })
registerSetupCommand(program, root)

// A command that fails says why in one line; the stack is for LOG_LEVEL=debug.
await program.parseAsync(process.argv).catch((error: unknown) => {
  const message = error instanceof Error ? error.message : String(error)
  console.error(`kappa: ${message}`)
  if (process.env.LOG_LEVEL === 'debug') console.error(error)
  process.exit(1)
})
