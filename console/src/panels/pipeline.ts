/** The pipeline page's panels: the jobs, their tables, and every generation with its actions. */
import { Plot, plot } from '../charts.ts'
import { fmt, h, table } from '../dom.ts'
import { type Generation, rollbackTarget } from '../generations.ts'
import type { ResultOf } from '../graphql.ts'
import { GENERATIONS, PIPELINE_JOBS, PIPELINE_TABLES } from '../queries.ts'
import { empty, type PanelModule, widthOf } from '../ui.ts'

type Job = ResultOf<typeof PIPELINE_JOBS>['pipeline']['jobs'][number]

const stateClass = (job: Job) =>
  job.healthy === true ? 'ok' : job.healthy === false ? 'bad' : 'warn'

export const jobsPanel: PanelModule<
  ResultOf<typeof PIPELINE_JOBS>,
  Record<string, never>,
  unknown
> = {
  id: 'jobs',
  title: 'Stream jobs',
  description:
    'Each job at its live generation: what it is doing, how far behind its inputs it is, how fresh its tables are, its dead letters and its dead-letter breaker.',
  query: PIPELINE_JOBS,
  variables: () => ({}),
  asOf: (d) => d.pipeline.asOf,
  // Freshness moves every poll; redraw the numbers, not only the as-of line.
  shown: (d) => d.pipeline.jobs,
  draw: ({ pipeline: answer }, { body }) => {
    const rows = answer.jobs.map((j) => [
      h('strong', { class: 'nowrap' }, j.name),
      h(
        'span',
        {
          class: stateClass(j),
          'data-state': j.state ?? '',
          title: j.reason ?? j.stateSource ?? '',
        },
        (j.state ?? 'unknown').toLowerCase(),
      ),
      j.liveGeneration === null ? '–' : `g${j.liveGeneration}`,
      fmt.int(j.lag),
      fmt.duration(j.asOf?.freshnessSeconds),
      h('span', { class: 'nowrap' }, fmt.clock(j.asOf?.watermark)),
      h('span', { class: j.deadLetters ? 'warn' : null }, fmt.int(j.deadLetters)),
      j.paused
        ? h('span', { class: 'bad', title: j.paused }, `open: ${j.paused}`)
        : h('span', { class: 'ok' }, 'closed'),
      fmt.int(j.recordsApplied),
      j.recordsPerSecond === null ? '–' : fmt.int(j.recordsPerSecond),
      fmt.int(j.pendingFlushes),
      fmt.int(j.members),
    ])
    const bars = answer.jobs.map((j) => ({
      job: j.name,
      applied: j.recordsApplied ?? 0,
      lag: j.lag ?? 0,
    }))
    const chart = plot({
      label: 'Records applied and lag per job',
      width: Math.max(340, Math.floor(widthOf(body) * 0.28)),
      height: 30 * bars.length + 50,
      marginLeft: 120,
      marginRight: 60,
      x: { label: 'Input records applied →', grid: true },
      y: { label: null, domain: bars.map((b) => b.job) },
      color: { domain: ['applied', 'to go (lag)'], range: ['#4e79a7', '#e15759'], legend: true },
      marks: [
        Plot.barX(
          bars.flatMap((b) => [
            { job: b.job, kind: 'applied', n: b.applied },
            { job: b.job, kind: 'to go (lag)', n: b.lag },
          ]),
          { x: 'n', y: 'job', fill: 'kind' },
        ),
        Plot.ruleX([0]),
      ],
    })
    return h(
      'div',
      { class: 'split wide-first' },
      h(
        'div',
        { class: 'wide' },
        table(
          [
            'Job',
            'State',
            'Live',
            { label: 'Lag', numeric: true },
            { label: 'Freshness', numeric: true },
            'Watermark (UTC)',
            { label: 'Dead letters', numeric: true },
            'Breaker',
            { label: 'Applied', numeric: true },
            { label: 'Rec/s', numeric: true },
            { label: 'Unflushed', numeric: true },
            { label: 'Members', numeric: true },
          ],
          rows,
          { class: 'jobs', 'aria-label': 'Stream jobs' },
        ),
      ),
      h('figure', { class: 'chart' }, chart),
    )
  },
}

export const tablesPanel: PanelModule<
  ResultOf<typeof PIPELINE_TABLES>,
  Record<string, never>,
  unknown
> = {
  id: 'tables',
  title: 'Derived tables',
  description: 'Rows each table holds at its live generation.',
  query: PIPELINE_TABLES,
  variables: () => ({}),
  asOf: (d) => d.pipeline.asOf,
  draw: ({ pipeline: answer }) =>
    table(
      ['Table', 'Job', 'Live', { label: 'Rows', numeric: true }],
      answer.tables.map((t) => [
        h('span', { class: 'mono' }, t.name),
        t.job,
        t.liveGeneration === null ? '–' : `g${t.liveGeneration}`,
        fmt.int(t.rows),
      ]),
      { class: 'tables', 'aria-label': 'Derived tables' },
    ),
}

/** What the generation buttons do: the page asks for the token and sends the mutation. */
export interface GenerationActions {
  readonly swap: (generation: Generation, live: number | null) => void
  readonly rollback: (live: Generation, target: number) => void
}

export const generationsPanel: PanelModule<
  ResultOf<typeof GENERATIONS>,
  Record<string, never>,
  GenerationActions
> = {
  id: 'generations',
  title: 'Generations and replays',
  description:
    "Every job's table generations; a replay builds a new one beside the live one. Swap moves readers to a built generation, roll back returns them to the one before: both ask for the admin token.",
  query: GENERATIONS,
  variables: () => ({}),
  asOf: ({ generations }) =>
    `live now: ${
      generations
        .filter((g) => g.status === 'LIVE')
        .map((g) => `${g.job} g${g.generation}`)
        .join(', ') || 'none'
    } (kappa_job_generations)`,
  draw: (answer, { state }) => {
    if (answer.generations.length === 0) return empty('No generation yet: no job has run.')
    const liveOf = new Map(
      answer.generations.filter((g) => g.status === 'LIVE').map((g) => [g.job, g.generation]),
    )
    const progress = answer.replayProgress.length
      ? table(
          [
            'Replay',
            'State',
            'Progress',
            { label: 'Consumed / target', numeric: true },
            { label: 'Rec/s', numeric: true },
            { label: 'ETA', numeric: true },
            { label: 'Lag', numeric: true },
            { label: 'Unflushed', numeric: true },
          ],
          answer.replayProgress.map((p) => [
            `${p.job} g${p.generation}${p.kind === 'AS_OF' ? ' (as of)' : ''}`,
            h('span', { 'data-state': p.state }, p.state.toLowerCase().replaceAll('_', ' ')),
            h(
              'span',
              {},
              h('progress', {
                max: 1,
                value: Math.min(1, p.ratio),
                'aria-label': `${p.job} g${p.generation} replay progress`,
              }),
              ` ${fmt.pct(p.ratio)}`,
            ),
            `${fmt.int(p.consumed)} / ${fmt.int(p.target)}`,
            p.recordsPerSecond === null ? '–' : fmt.int(p.recordsPerSecond),
            fmt.duration(p.etaSeconds),
            fmt.int(p.lag),
            fmt.int(p.pendingFlushes),
          ]),
          { class: 'replays', 'aria-label': 'Replays under way' },
        )
      : h('p', { class: 'empty replays-none' }, 'No replay under way in this process.')
    const rows = answer.generations.map((g) => {
      const live = liveOf.get(g.job)
      const actions: Node[] = []
      // Roll back only where there is a generation to go back to (never on a first one).
      const target = rollbackTarget(answer.generations, g)
      if (target !== null) {
        actions.push(
          h(
            'button',
            {
              type: 'button',
              class: 'danger',
              'data-action': 'rollback',
              'data-job': g.job,
              'data-target': target,
              // The target in words too; the label stays short so the table keeps its width.
              title: `Readers back to g${target}`,
              'aria-label': `Roll back ${g.job} to g${target}`,
              onclick: () => state.rollback(g, target),
            },
            'Roll back',
          ),
        )
      } else if (
        g.status === 'RETIRED' ||
        (g.status === 'BUILDING' && g.buildState === 'AWAITING_SWAP')
      ) {
        actions.push(
          h(
            'button',
            {
              type: 'button',
              class: 'primary',
              'data-action': 'swap',
              'data-job': g.job,
              'data-generation': g.generation,
              onclick: () => state.swap(g, live ?? null),
            },
            `Swap to g${g.generation}`,
          ),
        )
      }
      return h(
        'tr',
        {
          'data-job': g.job,
          'data-generation': g.generation,
          'data-status': g.status,
          class: g.status === 'LIVE' ? 'selected' : null,
        },
        h('td', {}, h('strong', { class: 'nowrap' }, g.job)),
        h('td', { class: 'num' }, `g${g.generation}`),
        h(
          'td',
          {},
          h(
            'span',
            { class: g.status === 'LIVE' ? 'ok' : g.status === 'DROPPED' ? 'bad' : null },
            g.status.toLowerCase().replace('_', '-'),
          ),
        ),
        h(
          'td',
          {},
          g.buildState.toLowerCase().replaceAll('_', ' '),
          h(
            'span',
            { class: 'sub' },
            g.kind === 'AS_OF' ? `as of ${fmt.time(g.until)}` : 'whole log',
          ),
        ),
        h('td', { class: 'num' }, g.jobVersion),
        h(
          'td',
          { class: 'nowrap' },
          fmt.clock(g.createdAt),
          h(
            'span',
            { class: 'sub' },
            g.buildSeconds === null ? 'building' : `built in ${fmt.duration(g.buildSeconds)}`,
          ),
        ),
        h(
          'td',
          { class: 'tables-cell' },
          ...g.tables.map((t) =>
            h('span', { class: 'sub', title: t.table }, `${t.physical}: ${fmt.int(t.rows)}`),
          ),
        ),
        h('td', { class: 'nowrap' }, ...actions),
      )
    })
    const list = table(
      [
        'Job',
        { label: 'Gen.', numeric: true },
        'Status',
        'Build',
        { label: 'Version', numeric: true },
        'Created (UTC)',
        'Tables: rows',
        '',
      ],
      [],
      { class: 'generations', 'aria-label': 'Generations' },
    )
    list.tBodies[0]!.append(...rows)
    return [
      h('h3', {}, 'Replays'),
      progress,
      h('h3', {}, 'Generations'),
      h('div', { class: 'wide' }, list),
    ]
  },
}
