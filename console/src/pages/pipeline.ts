import { gql } from '../api.ts'
import { Plot, plot } from '../charts.ts'
import { fmt, h, replace, table } from '../dom.ts'
import { GENERATIONS, PIPELINE, ROLLBACK, SWAP } from '../queries.ts'
import type { Generation, GenerationsAnswer, PipelineAnswer, PipelineJob } from '../types.ts'
import { all, empty, errorText, type Page, type PageContext, Panel, widthOf } from '../ui.ts'

const stateClass = (job: PipelineJob) =>
  job.healthy === true ? 'ok' : job.healthy === false ? 'bad' : 'warn'

/**
 * Asks for the admin token in a modal dialog; resolves with it, or null when cancelled. The
 * token is sent with that one request and kept nowhere.
 */
function askToken(
  dialog: HTMLDialogElement,
  title: string,
  detail: string,
): Promise<string | null> {
  const input = h('input', {
    type: 'password',
    id: 'admin-token',
    name: 'token',
    autocomplete: 'off',
    required: true,
  })
  return new Promise((resolve) => {
    let answered = false
    const done = (value: string | null) => {
      if (answered) return
      answered = true
      dialog.close()
      resolve(value)
    }
    replace(
      dialog,
      h(
        'form',
        {
          method: 'dialog',
          onsubmit: (e: Event) => {
            e.preventDefault()
            done(input.value)
          },
        },
        h('h3', { id: 'token-title' }, title),
        h('p', {}, detail),
        h(
          'label',
          { class: 'field', for: 'admin-token' },
          h('span', {}, 'Admin token (ADMIN_TOKEN)'),
          input,
        ),
        h(
          'div',
          { class: 'actions' },
          h('button', { type: 'button', id: 'token-cancel', onclick: () => done(null) }, 'Cancel'),
          h('button', { type: 'submit', class: 'primary', id: 'token-confirm' }, 'Confirm'),
        ),
      ),
    )
    dialog.setAttribute('aria-labelledby', 'token-title')
    dialog.addEventListener('close', () => done(null), { once: true })
    dialog.showModal()
    input.focus()
  })
}

/** Pipeline: jobs, lag, freshness, dead letters, breaker; generations, replays, swap, rollback. */
export function pipelinePage(ctx: PageContext): Page {
  const jobs = new Panel(
    'jobs',
    'Stream jobs',
    'Each job at its live generation: what it is doing, how far behind its inputs it is, how fresh its tables are, its dead letters and its dead-letter breaker.',
  )
  const tables = new Panel(
    'tables',
    'Derived tables',
    'Rows each table holds at its live generation.',
  )
  const generations = new Panel(
    'generations',
    'Generations and replays',
    "Every job's table generations; a replay builds a new one beside the live one. Swap moves readers to a built generation, roll back returns them to the one before: both ask for the admin token.",
  )
  const outcome = h('div', { class: 'outcome', 'aria-live': 'polite' })
  generations.tools.append(outcome)
  const dialog = h('dialog', { id: 'token-dialog' }) as HTMLDialogElement

  const act = async (
    title: string,
    detail: string,
    mutation: string,
    variables: Record<string, unknown>,
    done: (g: Generation) => string,
  ) => {
    const token = await askToken(dialog, title, detail)
    if (token === null) return
    try {
      const answer = await gql<{ swap?: Generation; rollback?: Generation }>(mutation, variables, {
        token,
      })
      const g = answer.swap ?? answer.rollback
      replace(outcome, h('p', { class: 'notice', role: 'status' }, g ? done(g) : 'Done.'))
    } catch (error) {
      const code = (error as { code?: string }).code ?? 'ERROR'
      replace(
        outcome,
        h(
          'p',
          { class: 'refusal', role: 'alert', 'data-code': code },
          `Refused: ${errorText(error)}`,
        ),
      )
    }
    generations.invalidate()
    ctx.refreshNow()
  }

  const drawJobs = (answer: PipelineAnswer['pipeline']) => {
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
      width: Math.max(340, Math.floor(widthOf(jobs.body) * 0.28)),
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
  }

  const drawTables = (answer: PipelineAnswer['pipeline']) =>
    table(
      ['Table', 'Job', 'Live', { label: 'Rows', numeric: true }],
      answer.tables.map((t) => [
        h('span', { class: 'mono' }, t.name),
        t.job,
        t.liveGeneration === null ? '–' : `g${t.liveGeneration}`,
        fmt.int(t.rows),
      ]),
      { class: 'tables', 'aria-label': 'Derived tables' },
    )

  const drawGenerations = (answer: GenerationsAnswer) => {
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
      if (g.status === 'LIVE') {
        actions.push(
          h(
            'button',
            {
              type: 'button',
              class: 'danger',
              'data-action': 'rollback',
              'data-job': g.job,
              onclick: () =>
                act(
                  `Roll back ${g.job}`,
                  `Readers of every ${g.job} table go back to the generation live before g${g.generation}.`,
                  ROLLBACK,
                  { job: g.job },
                  (back) => `${back.job}: readers are back on generation ${back.generation}.`,
                ),
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
              onclick: () =>
                act(
                  `Swap ${g.job} to generation ${g.generation}`,
                  `Readers of every ${g.job} table move from g${live ?? '?'} to g${g.generation}.`,
                  SWAP,
                  { job: g.job, generation: g.generation },
                  (now) =>
                    `${now.job}: generation ${now.generation} is ${now.status.toLowerCase()}.`,
                ),
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
  }

  const element = h(
    'div',
    { class: 'page page-pipeline' },
    jobs.element,
    h('div', { class: 'columns pipeline-columns' }, generations.element, tables.element),
    dialog,
  )

  return {
    element,
    refresh: async () => {
      await all([
        jobs.load(
          () => gql<PipelineAnswer>(PIPELINE, {}),
          ({ pipeline }) => {
            // Freshness moves every poll; redraw the numbers, not only the as-of line.
            jobs.show(pipeline.asOf, pipeline.jobs, () => drawJobs(pipeline))
            tables.show(pipeline.asOf, pipeline.tables, () => drawTables(pipeline))
          },
        ),
        generations.load(
          () => gql<GenerationsAnswer>(GENERATIONS, {}),
          (answer) => {
            const live = answer.generations.filter((g) => g.status === 'LIVE')
            generations.note(
              `live now: ${live.map((g) => `${g.job} g${g.generation}`).join(', ') || 'none'} (kappa_job_generations)`,
            )
            generations.show(null, answer, drawGenerations)
          },
        ),
      ])
    },
  }
}
