import { gql } from '../api.ts'
import { Plot, plot } from '../charts.ts'
import { fmt, h, select, table } from '../dom.ts'
import { TOP_K } from '../queries.ts'
import type { TopK, TopKEntry } from '../types.ts'
import { empty, type Page, type PageContext, Panel, widthOf } from '../ui.ts'

const buckets = [
  { value: 'HOUR', label: 'Hour' },
  { value: 'DAY', label: 'Day' },
  { value: 'WEEK', label: 'Week (ISO, from Monday)' },
  { value: 'MONTH', label: 'Month' },
  { value: 'YEAR', label: 'Year' },
]
const sizes = ['10', '20', '50']

/** How a bucket is named: "2018-08", "2018-08-14", "week of 2018-08-13", "2018-08-14 09:00". */
function bucketName(kind: string, start: string | null): string {
  if (!start) return 'no bucket yet'
  switch (kind) {
    case 'HOUR':
      return `${start.slice(0, 10)} ${start.slice(11, 16)} UTC`
    case 'DAY':
      return start.slice(0, 10)
    case 'WEEK':
      return `week of ${start.slice(0, 10)}`
    case 'MONTH':
      return start.slice(0, 7)
    default:
      return start.slice(0, 4)
  }
}

/** Top-K: the ranked keys of one event-time bucket, each with its count-min error bar. */
export function topkPage(ctx: PageContext): Page {
  const params = new URLSearchParams(ctx.params)
  let shown: TopK['topK'] | undefined

  const panel = new Panel(
    'topk',
    'Top-K by time bucket',
    'Units sold per product or category in one event-time bucket, estimated by count-min sketches merged across partitions. An estimate never under-counts; the bar runs from the lowest the true count can be (estimate − error bound) to the estimate.',
  )
  const set = (changes: Record<string, string | null>) => {
    for (const [name, value] of Object.entries(changes)) {
      if (value) params.set(name, value)
      else params.delete(name)
    }
    ctx.setParams(params)
    ctx.refreshNow()
  }
  const bucket = () => params.get('bucket') ?? 'MONTH'
  const atInput = h('input', {
    type: 'text',
    id: 'f-at',
    name: 'at',
    placeholder: 'latest, or 2018-03-01',
    value: params.get('at') ?? '',
    size: 22,
    'aria-describedby': 'at-hint',
  })
  const form = h(
    'form',
    {
      class: 'filters',
      'aria-label': 'Bucket',
      onsubmit: (e: Event) => {
        e.preventDefault()
        set({ at: atInput.value.trim() || null })
      },
    },
    select('Bucket', 'bucket', buckets, bucket(), (value) => set({ bucket: value })),
    select(
      'Rank',
      'dimension',
      [
        { value: 'PRODUCT', label: 'Products' },
        { value: 'CATEGORY', label: 'Categories' },
      ],
      params.get('dimension') ?? 'PRODUCT',
      (value) => set({ dimension: value }),
    ),
    select(
      'Top',
      'k',
      sizes.map((k) => ({ value: k, label: k })),
      params.get('k') ?? '20',
      (value) => set({ k: value }),
    ),
    h('label', { class: 'field', for: 'f-at' }, h('span', {}, 'Bucket containing'), atInput),
    h('button', { type: 'submit' }, 'Show'),
    h(
      'button',
      {
        type: 'button',
        id: 'bucket-previous',
        onclick: () => {
          if (!shown?.bucketStart) return
          const at = new Date(Date.parse(shown.bucketStart) - 1).toISOString()
          atInput.value = at
          set({ at })
        },
      },
      '‹ Previous bucket',
    ),
    h(
      'button',
      {
        type: 'button',
        id: 'bucket-next',
        onclick: () => {
          if (!shown?.bucketEnd) return
          atInput.value = shown.bucketEnd
          set({ at: shown.bucketEnd })
        },
      },
      'Next bucket ›',
    ),
    h(
      'button',
      {
        type: 'button',
        id: 'bucket-latest',
        onclick: () => {
          atInput.value = ''
          set({ at: null })
        },
      },
      'Latest',
    ),
    h('p', { class: 'hint', id: 'at-hint' }, 'Empty: the latest bucket the watermark has reached.'),
  )
  panel.tools.append(form)

  const draw = (answer: TopK['topK']) => {
    if (answer.entries.length === 0) {
      return empty(`Nothing counted in ${bucketName(answer.bucket, answer.bucketStart)}.`)
    }
    const label = (e: TopKEntry) =>
      answer.dimension === 'PRODUCT' ? `${e.rank}. ${e.key.slice(0, 12)}…` : `${e.rank}. ${e.key}`
    const entries = answer.entries.map((e) => ({ ...e, label: label(e) }))
    const chart = plot({
      label: `Top ${entries.length} ${answer.dimension === 'PRODUCT' ? 'products' : 'categories'} of ${bucketName(answer.bucket, answer.bucketStart)} with error bars`,
      width: Math.max(520, Math.floor(widthOf(panel.body) * 0.55)),
      height: 24 * entries.length + 50,
      marginLeft: answer.dimension === 'PRODUCT' ? 130 : 220,
      marginRight: 60,
      x: { label: 'Units sold (estimate) →', grid: true, zero: true },
      y: { label: null, domain: entries.map((e) => e.label) },
      marks: [
        Plot.barX(entries, { x: 'estimatedCount', y: 'label', fill: '#a0c4e8' }),
        // The error bar: the true count lies in [lowerBound, estimate] with probability 1 − δ.
        Plot.ruleY(entries, {
          y: 'label',
          x1: 'lowerBound',
          x2: 'estimatedCount',
          stroke: '#1d2330',
          strokeWidth: 2,
        }),
        Plot.tickX(entries, { x: 'lowerBound', y: 'label', stroke: '#1d2330', strokeWidth: 2 }),
        Plot.tickX(entries, { x: 'estimatedCount', y: 'label', stroke: '#1d2330', strokeWidth: 2 }),
        Plot.text(entries, {
          x: 'estimatedCount',
          y: 'label',
          text: (e: TopKEntry) => `${e.estimatedCount} (≥ ${e.lowerBound})`,
          dx: 6,
          textAnchor: 'start',
        }),
        Plot.ruleX([0]),
      ],
    })
    return [
      h(
        'p',
        { class: 'summary', 'data-bucket-start': answer.bucketStart ?? '' },
        `${bucketName(answer.bucket, answer.bucketStart)} (${fmt.time(answer.bucketStart)} to ${fmt.time(answer.bucketEnd)}): ${fmt.int(answer.total)} units counted; ε = ${answer.epsilon}, δ = ${answer.delta}, so each estimate over-counts by at most ⌈ε·N⌉ = ${answer.errorBound} with probability ${1 - answer.delta}; ${answer.partitions} partition sketch${answer.partitions === 1 ? '' : 'es'} merged.`,
      ),
      h(
        'div',
        { class: 'split' },
        h('figure', { class: 'chart' }, chart),
        table(
          [
            { label: 'Rank', numeric: true },
            answer.dimension === 'PRODUCT' ? 'Product' : 'Category',
            { label: 'Estimate', numeric: true },
            { label: 'Error bound', numeric: true },
            { label: 'At least', numeric: true },
          ],
          answer.entries.map((e) => [
            e.rank,
            h(
              'span',
              { class: answer.dimension === 'PRODUCT' ? 'mono' : null, 'data-key': e.key },
              e.key,
            ),
            fmt.int(e.estimatedCount),
            `± ${fmt.int(e.errorBound)}`,
            fmt.int(e.lowerBound),
          ]),
          { class: 'topk', 'aria-label': 'Top-K ranking' },
        ),
      ),
    ]
  }

  const element = h('div', { class: 'page page-topk' }, panel.element)

  return {
    element,
    refresh: async () => {
      const ask = (at: string | null) =>
        gql<TopK>(TOP_K, {
          bucket: bucket(),
          dimension: params.get('dimension') ?? 'PRODUCT',
          at,
          k: Number(params.get('k') ?? 20),
        })
      await panel.load(
        async () => {
          const at = params.get('at')
          const answer = await ask(at)
          // The newest bucket may lie past the watermark, still filling: show the one it is in.
          const { bucketStart } = answer.topK
          const watermark = answer.topK.asOf.watermark
          if (!at && watermark && bucketStart && bucketStart > watermark) return ask(watermark)
          return answer
        },
        ({ topK }) => {
          shown = topK
          const { asOf, ...rest } = topK
          panel.show(asOf, rest, () => draw(topK))
        },
      )
    },
  }
}
