import { gql } from '../api.ts'
import { h, replace, select } from '../dom.ts'
import {
  leadTimePanel,
  monthlyPanel,
  rankingsPanel,
  rankLabel,
  reviewsPanel,
  type SalesState,
} from '../panels/sales.ts'
import { MONTHS } from '../queries.ts'
import { all, type Page, type PageContext, Panel } from '../ui.ts'

/** Sales: rankings, one key's months, reviews per portfolio tier, lead time per month. */
export function salesPage(ctx: PageContext): Page {
  const params = new URLSearchParams(ctx.params)
  let shownChoice: string | undefined

  const set = (changes: Record<string, string | null>) => {
    for (const [name, value] of Object.entries(changes)) {
      if (value) params.set(name, value)
      else params.delete(name)
    }
    ctx.setParams(params)
    ctx.refreshNow()
  }
  const state = (): SalesState => ({
    range: { from: params.get('from') || null, to: params.get('to') || null },
    rankBy: params.get('rank') === 'PRODUCT' ? 'PRODUCT' : 'CATEGORY',
    monthlyOf: monthlyOf(),
    choose: (by, key) => set({ by, key }),
  })
  const rankings = new Panel(rankingsPanel, state)
  const monthly = new Panel(monthlyPanel, state)
  const reviews = new Panel(reviewsPanel, state)
  const leadTime = new Panel(leadTimePanel, state)

  /** Whose months: the URL's choice, else the first entry of the ranking (once it answered). */
  function monthlyOf(): SalesState['monthlyOf'] {
    const by = params.get('by')
    const key = params.get('key')
    if (by === 'ALL') return { by, key: null }
    if ((by === 'CATEGORY' || by === 'PRODUCT') && key) return { by, key }
    const ranking = rankings?.answer?.salesRankings
    if (!ranking) return null
    const top = ranking.entries[0]
    return top ? { by: ranking.by, key: top.key } : { by: 'ALL', key: null }
  }

  /** The months there are sales in, for the range pickers (asked once). */
  let months: readonly string[] | undefined
  const rangeForm = h('form', {
    class: 'filters',
    'aria-label': 'Months',
    onsubmit: (e: Event) => e.preventDefault(),
  })
  const drawRange = () => {
    const options = (name: 'from' | 'to') => [
      { value: '', label: name === 'from' ? 'the first month' : 'the last month' },
      ...(months ?? []).map((m) => ({ value: m, label: m })),
    ]
    const picker = (name: 'from' | 'to', text: string) =>
      select(text, name, options(name), params.get(name) ?? '', (value) =>
        set({ [name]: value || null }),
      )
    const focused = document.activeElement?.id
    replace(
      rangeForm,
      picker('from', 'From month'),
      picker('to', 'To month'),
      h('p', { class: 'hint' }, 'Applies to the rankings, monthly sales and lead time.'),
    )
    if (focused) document.getElementById(focused)?.focus()
  }
  drawRange()
  rankings.tools.append(
    h(
      'form',
      { class: 'filters', onsubmit: (e: Event) => e.preventDefault() },
      select(
        'Rank',
        'rank',
        [
          { value: 'CATEGORY', label: 'Categories' },
          { value: 'PRODUCT', label: 'Products' },
        ],
        state().rankBy,
        (value) => set({ rank: value }),
      ),
    ),
  )
  const monthlyTools = h('form', { class: 'filters', onsubmit: (e: Event) => e.preventDefault() })
  monthly.tools.append(monthlyTools)

  /** The monthly panel's "Of" picker: all sales, or one of the ranked keys. */
  const drawMonthlyChoice = () => {
    const chosen = monthlyOf() ?? { by: 'ALL', key: null }
    const ranking = rankings.answer?.salesRankings
    const options = [{ value: 'ALL:', label: 'All sales' }]
    for (const entry of ranking?.entries ?? []) {
      options.push({
        value: `${ranking!.by}:${entry.key}`,
        label: `${ranking!.by === 'CATEGORY' ? 'Category' : 'Product'}: ${rankLabel(entry, ranking!.by)}`,
      })
    }
    const value = `${chosen.by}:${chosen.key ?? ''}`
    if (!options.some((o) => o.value === value)) {
      options.push({ value, label: `${chosen.by.toLowerCase()}: ${chosen.key}` })
    }
    const key = JSON.stringify([options, value])
    if (key === shownChoice) return
    shownChoice = key
    const focused = document.activeElement?.id === 'f-monthly'
    replace(
      monthlyTools,
      select('Of', 'monthly', options, value, (picked) => {
        const [by, ...rest] = picked.split(':')
        set({ by: by!, key: rest.join(':') || null })
      }),
    )
    if (focused) document.getElementById('f-monthly')?.focus()
  }

  const element = h(
    'div',
    { class: 'page page-sales' },
    h('div', { class: 'page-tools' }, rangeForm),
    rankings.element,
    monthly.element,
    h('div', { class: 'columns' }, reviews.element, leadTime.element),
  )

  return {
    element,
    refresh: async () => {
      const rankingLoad = rankings.refresh().then(drawMonthlyChoice)
      // Without a choice in the URL the months are the ranking's first entry's: ask after it.
      const monthlyLoad = (monthlyOf() ? Promise.resolve() : rankingLoad.catch(() => {}))
        .then(() => monthly.refresh())
        .then(drawMonthlyChoice)
      if (!months) {
        void gql(MONTHS, {}).then(
          (answer) => {
            months = answer.monthlySales.months.map((m) => m.month)
            drawRange()
          },
          () => {},
        )
      }
      await all([rankingLoad, monthlyLoad, reviews.refresh(), leadTime.refresh()])
    },
  }
}
