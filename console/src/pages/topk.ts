import { h, select } from '../dom.ts'
import type { VariablesOf } from '../graphql.ts'
import { topkPanel } from '../panels/topk.ts'
import type { TOP_K } from '../queries.ts'
import { type Page, type PageContext, Panel } from '../ui.ts'

type Bucket = VariablesOf<typeof TOP_K>['bucket']
type Dimension = NonNullable<VariablesOf<typeof TOP_K>['dimension']>

const buckets: readonly { value: Bucket; label: string }[] = [
  { value: 'HOUR', label: 'Hour' },
  { value: 'DAY', label: 'Day' },
  { value: 'WEEK', label: 'Week (ISO, from Monday)' },
  { value: 'MONTH', label: 'Month' },
  { value: 'YEAR', label: 'Year' },
]
const dimensions: readonly Dimension[] = ['PRODUCT', 'CATEGORY']
const sizes = ['10', '20', '50']

/** A URL parameter if it is one of `allowed`, else `fallback` (a hand-edited URL stays valid). */
const oneOf = <T extends string>(value: string | null, allowed: readonly T[], fallback: T): T =>
  allowed.includes(value as T) ? (value as T) : fallback

/** Top-K: the ranked keys of one event-time bucket, each with its count-min error bar. */
export function topkPage(ctx: PageContext): Page {
  const params = new URLSearchParams(ctx.params)
  const bucket = () =>
    oneOf(
      params.get('bucket'),
      buckets.map((b) => b.value),
      'MONTH',
    )
  const dimension = () => oneOf(params.get('dimension'), dimensions, 'PRODUCT')
  const panel = new Panel(topkPanel, () => ({
    bucket: bucket(),
    dimension: dimension(),
    at: params.get('at'),
    k: Number(oneOf(params.get('k'), sizes, '20')),
  }))
  /** The bucket shown, which previous / next step from. */
  const shown = () => panel.answer?.topK
  const set = (changes: Record<string, string | null>) => {
    for (const [name, value] of Object.entries(changes)) {
      if (value) params.set(name, value)
      else params.delete(name)
    }
    ctx.setParams(params)
    ctx.refreshNow()
  }
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
      dimension(),
      (value) => set({ dimension: value }),
    ),
    select(
      'Top',
      'k',
      sizes.map((k) => ({ value: k, label: k })),
      oneOf(params.get('k'), sizes, '20'),
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
          const start = shown()?.bucketStart
          if (!start) return
          const at = new Date(Date.parse(start) - 1).toISOString()
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
          const end = shown()?.bucketEnd
          if (!end) return
          atInput.value = end
          set({ at: end })
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

  const element = h('div', { class: 'page page-topk' }, panel.element)

  return {
    element,
    refresh: async () => {
      await panel.refresh()
    },
  }
}
