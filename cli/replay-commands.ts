import type { Command } from 'commander'
import { createPlatform } from '../core/platform.ts'
import { identical, type TableDiff } from '../replay/diff.ts'
import type { BuildProgress, ReplayPlan } from '../replay/service.ts'
import { jobCatalogue } from '../streams/jobs.ts'
import type { CliContext } from './context.ts'
import {
  type GenerationControl,
  type GenerationLine,
  localControl,
  platformControl,
} from './generation-control.ts'
import type { Terminal } from './terminal.ts'

/**
 * The control the commands use: the running platform process in embedded mode (it holds the
 * chDB data), this process in distributed mode (CLICKHOUSE_URL set). Same command line.
 */
async function controlFor(ctx: CliContext, jobs: readonly string[]): Promise<GenerationControl> {
  const { config } = ctx
  if (!config.clickhouseUrl) return platformControl(ctx)
  return localControl(createPlatform(config, ctx.logger, 'kappa-replay'), jobs)
}

const n = (value: number) => Math.round(value).toLocaleString('en-US')

function printPlan(plans: readonly ReplayPlan[]): void {
  for (const plan of plans) {
    const until = plan.until === null ? '' : `, as of ${new Date(plan.until).toISOString()}`
    console.log(
      `${plan.job} (version ${plan.jobVersion}): build generation ${plan.generation} beside live ${plan.liveGeneration ?? 'none'}${until}`,
    )
    for (const t of plan.tables) console.log(`  writes ${t.table} into ${t.physical}`)
    const inputs = [...plan.inputs].sort(
      (a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition,
    )
    for (const i of inputs) {
      console.log(`  reads ${i.topic} partition ${i.partition}: offsets ${i.low} to ${i.end}`)
    }
    for (const s of plan.schemas) {
      console.log(
        `  schema ${s.subject} version ${s.version}: ${s.readable ? 'readable' : `NOT readable: ${s.reason}`}`,
      )
    }
  }
}

function printDiff(diff: readonly TableDiff[] | null): void {
  if (!diff) return
  for (const d of diff) {
    const same = d.onlyBefore === 0 && d.onlyAfter === 0 && d.changed === 0
    const { added = [], dropped = [], retyped = [] } = d.columns ?? {}
    const changes = [
      ...added.map((c) => `+${c}`),
      ...dropped.map((c) => `-${c}`),
      ...retyped.map((c) => `~${c}`),
    ]
    if (changes.length > 0) console.log(`  ${d.table}: columns ${changes.join(' ')}`)
    console.log(
      `  ${d.table}: rows ${n(d.before.rows)} → ${n(d.after.rows)}, keys ${n(d.before.keys)} → ${n(d.after.keys)}, checksum ${d.before.checksum === d.after.checksum ? 'equal' : 'differs'}; ${same ? (changes.length > 0 ? 'the same rows on the shared columns' : 'identical') : `${n(d.onlyBefore)} keys only in g${d.before.generation}, ${n(d.onlyAfter)} only in g${d.after.generation}, ${n(d.changed)} changed`}`,
    )
    for (const s of d.sample) console.log(`    ${s.kind}: ${s.key}`)
  }
}

const settled = (p: BuildProgress) => !['building', 'caught_up'].includes(p.state)

/**
 * Watches builds to their end: a line per build in the terminal's status area, or off a
 * terminal a line per build every few seconds.
 */
async function watch(
  control: GenerationControl,
  jobs: readonly string[],
  terminal: Terminal,
): Promise<BuildProgress[]> {
  let printed = 0
  for (;;) {
    const all = (await control.progress()).filter((p) => jobs.includes(p.job))
    if (terminal.interactive) {
      for (const p of all) {
        const rate = p.recordsPerSecond === null ? '-' : n(p.recordsPerSecond)
        const eta = p.etaSeconds === null ? '' : `, ETA ${Math.ceil(p.etaSeconds)} s`
        terminal.progress(`${p.job} g${p.generation}`, p.consumed, p.target, 'records', {
          line: `${p.job}:${p.generation}`,
          detail: `${n(p.consumed)}/${n(p.target)} ${rate}/s${eta} ${p.state}`,
        })
      }
    } else if (Date.now() - printed >= 5_000) {
      printed = Date.now()
      for (const p of all) {
        terminal.print(
          `${p.job} g${p.generation}: ${(100 * p.ratio).toFixed(1)}% (${n(p.consumed)} of ${n(p.target)} records${p.recordsPerSecond === null ? '' : `, ${n(p.recordsPerSecond)}/s`}${p.etaSeconds === null ? '' : `, ETA ${Math.ceil(p.etaSeconds)} s`}) ${p.state}`,
        )
      }
    }
    // A build that went live or finished leaves the progress list.
    if (all.length === 0 || all.every(settled)) {
      terminal.clear()
      return all
    }
    await new Promise((resolve) => setTimeout(resolve, 1_000))
  }
}

function jobsOf(names: string[], all: boolean): string[] {
  const jobs = all || names.length === 0 ? Object.keys(jobCatalogue) : names
  const unknown = jobs.filter((job) => !jobCatalogue[job])
  if (unknown.length > 0) {
    throw new Error(
      `unknown job(s): ${unknown.join(', ')}; known: ${Object.keys(jobCatalogue).join(', ')}`,
    )
  }
  return jobs
}

const time = (value: string | undefined): number | undefined => {
  if (value === undefined) return undefined
  const ms = Date.parse(value)
  if (Number.isNaN(ms)) throw new Error(`--until "${value}" is not an ISO date or time`)
  return ms
}

export function registerReplayCommands(
  program: Command,
  { createContext }: { createContext: () => CliContext },
): void {
  program
    .command('replay')
    .argument('[jobs...]', `jobs to rebuild; known: ${Object.keys(jobCatalogue).join(', ')}`)
    .description('Rebuild jobs’ tables from the log into a new generation, compare, and swap')
    .option('--all', 'every job')
    .option('--dry-run', 'print the plan and the schema check; build nothing')
    .option('--until <time>', 'an as-of generation from events up to this time; never live')
    .option('--swap <mode>', 'auto: go live when caught up; manual: wait for kappa swap', 'auto')
    .option('--require-identical', 'refuse to swap when the new generation differs')
    .action(
      async (
        names: string[],
        options: {
          all?: boolean
          dryRun?: boolean
          until?: string
          swap: string
          requireIdentical?: boolean
        },
      ) => {
        const jobs = jobsOf(names, options.all ?? false)
        if (options.swap !== 'auto' && options.swap !== 'manual') {
          throw new Error('--swap must be auto or manual')
        }
        const until = time(options.until)
        const ctx = createContext()
        const control = await controlFor(ctx, jobs)
        try {
          console.log(`replay by ${control.where}`)
          const plans = await control.plan(jobs, until)
          printPlan(plans)
          const unreadable = plans.flatMap((p) => p.schemas).filter((s) => !s.readable)
          if (unreadable.length > 0) {
            console.error(
              `refused: the job cannot read ${unreadable.map((s) => `${s.subject} version ${s.version}`).join(', ')}`,
            )
            process.exitCode = 1
            return
          }
          if (options.dryRun) return
          await control.replay({
            jobs,
            ...(until === undefined ? {} : { until }),
            swap: options.swap,
            requireIdentical: options.requireIdentical ?? false,
          })
          await watch(control, jobs, ctx.terminal)
          const built = new Map(plans.map((p) => [p.job, p.generation]))
          for (const g of await control.generations()) {
            if (built.get(g.job) !== g.generation) continue
            console.log(
              `${g.job} generation ${g.generation}: ${g.status}${g.note ? ` (${g.note})` : ''}`,
            )
            printDiff(g.diff)
            if (g.note?.startsWith('refused')) process.exitCode = 1
          }
        } finally {
          await control.close()
        }
      },
    )

  program
    .command('generations')
    .argument('[job]', 'one job (default: every job)')
    .description(
      'Each job’s table generations: status, build state, job version, rows, time to build, comparison',
    )
    .action(async (job: string | undefined) => {
      const control = await controlFor(createContext(), [])
      try {
        console.log(generationsTable(await control.generations(job)))
      } finally {
        await control.close()
      }
    })

  program
    .command('swap')
    .argument('<job>')
    .argument('<generation>')
    .description('Move readers of every table of a job to a built generation')
    .action(async (job: string, generation: string) => {
      const control = await controlFor(createContext(), [job])
      try {
        await control.swap(job, Number(generation))
        console.log(`${job}: readers on generation ${generation}`)
      } finally {
        await control.close()
      }
    })

  program
    .command('rollback')
    .argument('<job>')
    .description('Readers back to the previous generation; its job resumes and catches up')
    .action(async (job: string) => {
      const control = await controlFor(createContext(), [job])
      try {
        console.log(`${job}: readers on generation ${await control.rollback(job)}`)
      } finally {
        await control.close()
      }
    })

  program
    .command('drop')
    .argument('<job>')
    .argument('<generation>')
    .description('Drop a generation that is not live: its tables, state and consumer group')
    .action(async (job: string, generation: string) => {
      const control = await controlFor(createContext(), [job])
      try {
        await control.drop(job, Number(generation))
        console.log(`${job}: generation ${generation} dropped`)
      } finally {
        await control.close()
      }
    })
}

/** What `kappa generations` prints: one line per generation, columns aligned. */
export function generationsTable(generations: readonly GenerationLine[]): string {
  const header = [
    'job',
    'gen',
    'status',
    'build',
    'version',
    'kind',
    'built in',
    'compared',
    'rows',
  ]
  const lines = generations.map((g) => [
    g.job,
    String(g.generation),
    g.status,
    g.buildState,
    g.jobVersion,
    g.kind === 'as_of' ? `as of ${g.until ?? '?'}` : 'full',
    // Generation 1 is built by the live jobs from the start, not by a replay.
    g.buildSeconds ? `${g.buildSeconds.toFixed(1)} s` : '—',
    compared(g.diff),
    g.tables.map((t) => `${t.table} ${n(t.rows)}`).join(', '),
  ])
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)))
  const row = (cells: readonly string[]) =>
    cells.map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ')
  return [row(header), ...lines.map(row)].join('\n')
}

function compared(diff: GenerationLine['diff']): string {
  if (!diff) return '—'
  const differing = diff.filter((d) => !identical(d))
  return differing.length === 0
    ? 'identical'
    : `${differing.length} of ${diff.length} tables differ`
}
