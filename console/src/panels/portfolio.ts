/** The portfolio page's panels: every category's split, and one category's matrix. */
import { Plot, plot } from '../charts.ts'
import { fmt, h, quadrantColors, quadrantNames, quadrantOrder, table, tierBadge } from '../dom.ts'
import type { ResultOf, VariablesOf } from '../graphql.ts'
import { PORTFOLIO_MATRIX, PORTFOLIO_SUMMARY } from '../queries.ts'
import { empty, type PanelModule, widthOf } from '../ui.ts'

type Thresholds = NonNullable<ResultOf<typeof PORTFOLIO_MATRIX>['portfolioMatrix']['thresholds']>

/** What the portfolio page's panels read of its state. */
export interface PortfolioState {
  readonly range: { readonly from: string | null; readonly to: string | null }
  /** The category whose matrix is shown; null until the summary names one. */
  readonly category: string | null
  readonly choose: (category: string) => void
}

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

export const categoriesPanel: PanelModule<
  ResultOf<typeof PORTFOLIO_SUMMARY>,
  VariablesOf<typeof PORTFOLIO_SUMMARY>,
  PortfolioState
> = {
  id: 'categories',
  title: 'Categories',
  description:
    'Each category with sales, most revenue first: its products per quadrant (S Star, V Volume Driver, N Niche Gem, Q Question Mark) and its high-volume rule (LT: the long-tail rule).',
  query: PORTFOLIO_SUMMARY,
  variables: (s) => s.range,
  asOf: (d) => d.portfolioSummary.asOf,
  draw: ({ portfolioSummary: { categories: list } }, { state }) => {
    if (list.length === 0) return empty('No sales yet.')
    const current = state.category
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
                onclick: () => state.choose(c.category),
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
  },
}

export const matrixPanel: PanelModule<
  ResultOf<typeof PORTFOLIO_MATRIX>,
  VariablesOf<typeof PORTFOLIO_MATRIX>,
  PortfolioState
> = {
  id: 'matrix',
  title: 'Portfolio matrix',
  description:
    "A category's products by units sold and average unit price, split at the category's medians into four quadrants.",
  query: PORTFOLIO_MATRIX,
  variables: (s) => (s.category ? { category: s.category, ...s.range } : null),
  asOf: (d) => d.portfolioMatrix.asOf,
  draw: ({ portfolioMatrix: m }, { body }) => {
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
      width: Math.max(480, widthOf(body)),
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
  },
}
