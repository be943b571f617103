import { Plot, plot } from '../charts.ts'
import { fmt, h, table } from '../dom.ts'
import type { ResultOf, VariablesOf } from '../graphql.ts'
import { TOP_K } from '../queries.ts'
import { empty, type PanelModule, widthOf } from '../ui.ts'

type TopKEntry = ResultOf<typeof TOP_K>['topK']['entries'][number]
type TopKVariables = VariablesOf<typeof TOP_K>

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
export const topkPanel: PanelModule<ResultOf<typeof TOP_K>, TopKVariables, TopKVariables> = {
  id: 'topk',
  title: 'Top-K by time bucket',
  description:
    'Units sold per product or category in one event-time bucket, estimated by count-min sketches merged across partitions. An estimate never under-counts; the bar runs from the lowest the true count can be (estimate − error bound) to the estimate.',
  query: TOP_K,
  variables: (asked) => asked,
  // The newest bucket may lie past the watermark, still filling: show the one it is in.
  followUp: ({ topK }, asked) => {
    const watermark = topK.asOf.watermark
    return !asked.at && watermark && topK.bucketStart && topK.bucketStart > watermark
      ? { ...asked, at: watermark }
      : null
  },
  asOf: (d) => d.topK.asOf,
  draw: ({ topK: answer }, { body }) => {
    if (answer.entries.length === 0) {
      return empty(`Nothing counted in ${bucketName(answer.bucket, answer.bucketStart)}.`)
    }
    const label = (e: TopKEntry) =>
      answer.dimension === 'PRODUCT' ? `${e.rank}. ${e.key.slice(0, 12)}…` : `${e.rank}. ${e.key}`
    const entries = answer.entries.map((e) => ({ ...e, label: label(e) }))
    const chart = plot({
      label: `Top ${entries.length} ${answer.dimension === 'PRODUCT' ? 'products' : 'categories'} of ${bucketName(answer.bucket, answer.bucketStart)} with error bars`,
      width: Math.max(520, Math.floor(widthOf(body) * 0.55)),
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
  },
}
