import { gql } from '../api.ts'
import { Plot, plot } from '../charts.ts'
import {
  fmt,
  h,
  quadrantColors,
  quadrantNames,
  quadrantOrder,
  replace,
  select,
  table,
  tierBadge,
} from '../dom.ts'
import { PORTFOLIO_MATRIX, PORTFOLIO_SUMMARY } from '../queries.ts'
import type { PortfolioCategory, PortfolioMatrix, PortfolioSummary, Thresholds } from '../types.ts'
import { all, empty, type Page, type PageContext, Panel, widthOf } from '../ui.ts'

/** Where each quadrant sits: high volume to the right, high price to the top. */
const corners = {
  STAR: 'top-right',
  VOLUME_DRIVER: 'bottom-right',
  NICHE_GEM: 'top-left',
  QUESTION_MARK: 'bottom-left',
} as const

/** The rule in words: "units ≥ 2 (the median)" or "more than 1 unit (long-tail rule)". */
export function volumeRuleText(t: Thresholds, medianUnits: number | null): string {
  return t.volumeRule === 'MORE_THAN_ONE'
    ? `units > ${fmt.num2(t.volume)} (long-tail rule: the median is ${fmt.num2(medianUnits)} unit)`
    : `units ≥ ${fmt.num2(t.volume)} (the category median)`
}

const categoryLabel = (c: { category: string; categoryEnglish: string | null }) =>
  c.categoryEnglish ? `${c.categoryEnglish} (${c.category})` : c.category

/** The portfolio matrix: every category's split, and one category's products as a scatter. */
export function portfolioPage(ctx: PageContext): Page {
  const params = new URLSearchParams(ctx.params)
  let categories: readonly PortfolioCategory[] | undefined
  let shownChoice: string | undefined

  const chosen = () => params.get('category') ?? categories?.[0]?.category ?? null
  const choose = (category: string) => {
    params.set('category', category)
    ctx.setParams(params)
    for (const row of summary.body.querySelectorAll('tr[data-category]')) {
      row.classList.toggle('selected', row.getAttribute('data-category') === category)
    }
    drawChoice()
    ctx.refreshNow()
  }

  const summary = new Panel(
    'categories',
    'Categories',
    'Each category with sales, most revenue first: its products per quadrant (S Star, V Volume Driver, N Niche Gem, Q Question Mark) and its high-volume rule (LT: the long-tail rule).',
  )
  const matrix = new Panel(
    'matrix',
    'Portfolio matrix',
    "A category's products by units sold and average unit price, split at the category's medians into four quadrants.",
  )
  const choiceForm = h('form', { class: 'filters', onsubmit: (e: Event) => e.preventDefault() })
  matrix.tools.append(choiceForm)

  const drawChoice = () => {
    const value = chosen() ?? ''
    const options = (categories ?? []).map((c) => ({ value: c.category, label: categoryLabel(c) }))
    const key = JSON.stringify([options, value])
    if (key === shownChoice) return
    shownChoice = key
    const focused = document.activeElement?.id === 'f-category'
    replace(choiceForm, select('Category', 'category', options, value, choose))
    if (focused) document.getElementById('f-category')?.focus()
  }

  const drawSummary = (list: readonly PortfolioCategory[]) => {
    if (list.length === 0) return empty('No sales yet.')
    const current = chosen()
    const t = table(
      [
        'Category',
        { label: 'Products', numeric: true },
        { label: 'Revenue (R$)', numeric: true },
        { label: 'S', numeric: true },
        { label: 'V', numeric: true },
        { label: 'N', numeric: true },
        { label: 'Q', numeric: true },
        'Rule',
      ],
      [],
      { class: 'categories', 'aria-label': 'Categories' },
    )
    for (const c of list) {
      const count = (q: string) => c.quadrants.find((x) => x.quadrant === q)?.products ?? 0
      t.tBodies[0]!.append(
        h(
          'tr',
          { 'data-category': c.category, class: c.category === current ? 'selected' : null },
          h(
            'td',
            {},
            h(
              'button',
              {
                type: 'button',
                class: 'linkish',
                onclick: () => choose(c.category),
                title: c.category,
              },
              c.categoryEnglish ?? c.category,
            ),
          ),
          h('td', { class: 'num' }, fmt.int(c.products)),
          h('td', { class: 'num' }, fmt.money(c.revenue)),
          ...quadrantOrder.map((q) => h('td', { class: 'num' }, count(q))),
          h(
            'td',
            { class: 'nowrap' },
            c.thresholds.volumeRule === 'MORE_THAN_ONE'
              ? h(
                  'span',
                  {
                    title: `long tail: the median is ${c.medianUnits} unit, so high volume is more than 1`,
                  },
                  '> 1 (LT)',
                )
              : h(
                  'span',
                  { title: 'high volume: at least the category median of units' },
                  `≥ ${c.medianUnits}`,
                ),
          ),
        ),
      )
    }
    return h('div', { class: 'scroll tall' }, t)
  }

  const drawMatrix = (m: PortfolioMatrix['portfolioMatrix']) => {
    if (m.products.length === 0 || !m.thresholds)
      return empty(`No products of ${m.category} with sales.`)
    const t = m.thresholds
    const counts = new Map(m.quadrants.map((q) => [q.quadrant, q]))
    const maxUnits = Math.max(...m.products.map((p) => p.units))
    const marks: Plot.Markish[] = [
      Plot.dot(m.products, {
        x: 'units',
        y: 'averageUnitPrice',
        fill: (p: { quadrant: string }) => quadrantNames[p.quadrant],
        r: 4.5,
        fillOpacity: 0.75,
        stroke: 'white',
        strokeWidth: 0.5,
        title: (p: {
          productId: string
          units: number
          averageUnitPrice: number
          quadrant: string
        }) =>
          `${p.productId}\n${p.units} units at ${fmt.brl(p.averageUnitPrice)} on average\n${quadrantNames[p.quadrant]}`,
        channels: { product: 'productId' },
      }),
      // The thresholds used: solid.
      Plot.ruleX([t.volume], { stroke: '#222', strokeWidth: 1.5 }),
      Plot.ruleY([t.price], { stroke: '#222', strokeWidth: 1.5 }),
      Plot.text([t.volume], {
        x: (d: number) => d,
        frameAnchor: 'top',
        dy: -14,
        text: () =>
          t.volumeRule === 'MORE_THAN_ONE'
            ? `volume threshold ${fmt.num2(t.volume)} (> 1)`
            : `volume threshold ${fmt.num2(t.volume)}`,
        fill: '#222',
        fontWeight: 'bold',
      }),
      Plot.text([t.price], {
        y: (d: number) => d,
        frameAnchor: 'right',
        dy: -8,
        textAnchor: 'end',
        text: () => `price threshold ${fmt.brl(t.price)}`,
        fill: '#222',
        fontWeight: 'bold',
      }),
      ...quadrantOrder.map((q) =>
        Plot.text([q], {
          frameAnchor: corners[q],
          dx: corners[q].endsWith('right') ? -6 : 6,
          dy: corners[q].startsWith('top') ? 6 : -6,
          text: () => `${quadrantNames[q]}: ${counts.get(q)?.products ?? 0}`,
          fill: quadrantColors[quadrantOrder.indexOf(q)],
          fontSize: 13,
          fontWeight: 'bold',
        }),
      ),
    ]
    // The medians, dashed, where they differ from the thresholds (the long-tail rule).
    if (m.medianUnits !== null && m.medianUnits !== t.volume) {
      marks.push(
        Plot.ruleX([m.medianUnits], { stroke: '#666', strokeDasharray: '5,4' }),
        Plot.text([m.medianUnits], {
          x: (d: number) => d,
          frameAnchor: 'bottom',
          dy: 14 + 14,
          text: () => `median units ${fmt.num2(m.medianUnits)}`,
          fill: '#666',
        }),
      )
    }
    if (m.medianPrice !== null && m.medianPrice !== t.price) {
      marks.push(Plot.ruleY([m.medianPrice], { stroke: '#666', strokeDasharray: '5,4' }))
    }
    const chart = plot({
      label: `Portfolio matrix of ${m.category}: ${m.products.length} products`,
      width: Math.max(480, widthOf(matrix.body)),
      height: 440,
      marginTop: 30,
      marginBottom: 48,
      marginRight: 20,
      marginLeft: 64,
      inset: 8,
      x: {
        type: maxUnits > 12 ? 'log' : 'linear',
        label: 'Units sold →',
        grid: true,
        domain: [maxUnits > 12 ? 0.8 : 0, maxUnits * 1.1],
        ...(maxUnits <= 12 ? { ticks: maxUnits } : {}),
      },
      y: { type: 'log', label: 'Average unit price (R$)', labelAnchor: 'center', grid: true },
      color: {
        domain: quadrantOrder.map((q) => quadrantNames[q]!),
        range: quadrantColors,
        legend: true,
      },
      marks,
    })
    const median = m.medianPrice
    return [
      h(
        'ul',
        {
          class: 'thresholds',
          'data-volume': t.volume,
          'data-price': t.price,
          'data-rule': t.volumeRule,
        },
        h('li', {}, h('strong', {}, 'High volume: '), volumeRuleText(t, m.medianUnits)),
        h(
          'li',
          {},
          h('strong', {}, 'High price: '),
          `average unit price ≥ ${fmt.brl(t.price)} (the category median${median === t.price ? '' : ` ${fmt.brl(median)}`})`,
        ),
        h(
          'li',
          {},
          h('strong', {}, 'Medians: '),
          `${fmt.num2(m.medianUnits)} units, ${fmt.brl(m.medianPrice)}`,
        ),
      ),
      h('figure', { class: 'chart' }, chart),
      table(
        [
          'Quadrant',
          { label: 'Products', numeric: true },
          { label: 'Units', numeric: true },
          { label: 'Revenue (R$)', numeric: true },
        ],
        m.quadrants.map((q) => [
          tierBadge(q.quadrant),
          fmt.int(q.products),
          fmt.int(q.units),
          fmt.money(q.revenue),
        ]),
        { class: 'quadrants', 'aria-label': 'Quadrant counts' },
      ),
      h(
        'details',
        { class: 'chart-data' },
        h('summary', {}, `The ${m.products.length} products as a table`),
        table(
          [
            'Product',
            { label: 'Units', numeric: true },
            { label: 'Average unit price (R$)', numeric: true },
            { label: 'Revenue (R$)', numeric: true },
            'Quadrant',
          ],
          m.products.map((p) => [
            h('span', { class: 'mono' }, p.productId),
            fmt.int(p.units),
            fmt.money(p.averageUnitPrice),
            fmt.money(p.revenue),
            quadrantNames[p.quadrant] ?? p.quadrant,
          ]),
          { class: 'products', 'aria-label': 'Products' },
        ),
      ),
    ]
  }

  const element = h('div', { class: 'page page-portfolio' }, summary.element, matrix.element)
  const range = () => ({ from: params.get('from') || null, to: params.get('to') || null })

  return {
    element,
    refresh: async () => {
      const summaryLoad = summary.load(
        () => gql<PortfolioSummary>(PORTFOLIO_SUMMARY, range()),
        ({ portfolioSummary }) => {
          categories = portfolioSummary.categories
          summary.show(portfolioSummary.asOf, categories, drawSummary)
          drawChoice()
        },
      )
      const matrixLoad = (async () => {
        if (!params.get('category') && !categories) await summaryLoad.catch(() => {})
        const category = chosen()
        if (!category) return
        await matrix.load(
          () => gql<PortfolioMatrix>(PORTFOLIO_MATRIX, { category, ...range() }),
          ({ portfolioMatrix }) => {
            const { asOf, ...rest } = portfolioMatrix
            matrix.show(asOf, rest, () => drawMatrix(portfolioMatrix))
          },
        )
      })()
      await all([summaryLoad, matrixLoad])
    },
  }
}
