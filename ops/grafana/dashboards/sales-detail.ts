import * as common from '@grafana/grafana-foundation-sdk/common'
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard'
import { factOrderLeadDays } from '../../../tables/fact-order-lead-days.ts'
import { factReviewAnswerLeadDays } from '../../../tables/fact-review-answer-lead-days.ts'
import { factSalesItems } from '../../../tables/fact-sales-items.ts'
import { orderTierQuery, portfolioQuery } from '../../../tables/portfolio.ts'
import { clickhouseQuery, dedent } from './clickhouse-query.ts'
import { clickhouseDatasource as clickhouse } from './datasources.ts'
import { barChartPanel, tablePanel, timeSeriesPanel, withRows } from './panels.ts'
import { quadrantNameOfId, quadrantNameOfRank } from './portfolio-names.ts'
import { columnsOf, derivedView } from './tables.ts'
import { OLIST_TIME_RANGE } from './time-range.ts'

const sales = columnsOf(factSalesItems)
const lead = columnsOf(factOrderLeadDays)
const review = columnsOf(factReviewAnswerLeadDays)
// The monthly views keep the base table's names for the columns they carry over.
const byCategory = derivedView(factSalesItems, 'fact_monthly_sales_by_category')
const byProduct = derivedView(factSalesItems, 'fact_monthly_sales_by_product')

const category = `${sales.category_name} IN (\${category:singlequote})`
const product = `${sales.product_id} IN (\${product:singlequote})`
const categoryLabel = `ifNull(${sales.category_name_english}, ${sales.category_name})`

const categoryVariable = new dashboard.QueryVariableBuilder('category')
  .label('Category')
  .description('Product categories the panels cover (value: the Portuguese name; shown: English)')
  .datasource(clickhouse)
  .query(
    dedent(`
      SELECT DISTINCT ${sales.category_name}, ${categoryLabel}
      FROM ${factSalesItems.name}
      WHERE ${sales.category_name} IS NOT NULL
      ORDER BY ${sales.category_name}`),
  )
  .multi(true)
  .includeAll(true)
  .current({ text: 'All', value: '$__all' })
  .refresh(dashboard.VariableRefresh.OnTimeRangeChanged)
  .sort(dashboard.VariableSort.Disabled)

const productVariable = new dashboard.QueryVariableBuilder('product')
  .label('Product')
  .description('Products of the chosen categories, best-selling first, for the per-product panels')
  .datasource(clickhouse)
  .query(
    dedent(`
      SELECT ${sales.product_id}
      FROM ${byProduct}
      WHERE ${category} AND $__dateFilter(${sales.month})
      GROUP BY ${sales.product_id}
      ORDER BY sum(${sales.revenue}) DESC, ${sales.product_id}
      LIMIT 100`),
  )
  .multi(true)
  .includeAll(false)
  .refresh(dashboard.VariableRefresh.OnTimeRangeChanged)
  .sort(dashboard.VariableSort.Disabled)

const rankings = [
  tablePanel({
    title: 'Categories by revenue',
    description:
      'Which categories make the revenue in the time range, and how much of it do the top ones make together (cumulative share: the Pareto curve)?',
    datasource: clickhouse,
  })
    .withTarget(
      clickhouseQuery(`
        SELECT row_number() OVER (ORDER BY total_revenue DESC, label) AS rank,
          label AS category, units, total_revenue,
          sum(total_revenue) OVER (ORDER BY total_revenue DESC, label ROWS UNBOUNDED PRECEDING)
            AS cumulative_revenue,
          cumulative_revenue / sum(total_revenue) OVER () AS cumulative_share
        FROM (
          SELECT ${categoryLabel} AS label, sum(${sales.quantity}) AS units,
            sum(${sales.revenue}) AS total_revenue
          FROM ${byCategory}
          WHERE ${category} AND $__dateFilter(${sales.month})
          GROUP BY label
        )
        ORDER BY rank`),
    )
    .overrideByName('cumulative_share', [{ id: 'unit', value: 'percentunit' }])
    .span(10)
    .height(12),
  tablePanel({
    title: 'Products by revenue',
    description:
      "Which products of the chosen categories sell most, at what average price, and where do they sit in their category's portfolio matrix (split at the category's medians of units and price)?",
    datasource: clickhouse,
  })
    .withTarget(
      clickhouseQuery(`
        SELECT row_number() OVER (ORDER BY revenue DESC, product_id) AS rank,
          product_id, ifNull(category_name_english, category_name) AS category,
          units, revenue, avg_unit_price, ${quadrantNameOfId('quadrant')} AS portfolio_quadrant,
          sum(revenue) OVER (ORDER BY revenue DESC, product_id ROWS UNBOUNDED PRECEDING)
            / sum(revenue) OVER () AS cumulative_share
        FROM (${portfolioQuery({ from: 'toStartOfMonth(toDate($__fromTime))', to: 'toDate($__toTime)' })})
        WHERE ${category}
        ORDER BY rank
        LIMIT 100`),
    )
    .overrideByName('cumulative_share', [{ id: 'unit', value: 'percentunit' }])
    .span(14)
    .height(12),
]

const monthly = (measure: 'quantity' | 'revenue', per: 'category' | 'product') => {
  const series = per === 'category' ? `${categoryLabel} AS category` : sales.product_id
  return clickhouseQuery(
    `
      SELECT ${sales.month} AS time, ${series}, ${measure === 'quantity' ? `${sales.quantity} AS units` : `${sales.revenue} AS sales`}
      FROM ${per === 'category' ? byCategory : byProduct}
      WHERE ${per === 'category' ? category : product} AND $__dateFilter(${sales.month})
      ORDER BY time`,
    { queryType: 'timeseries' },
  )
}

const monthlySales = [
  timeSeriesPanel(
    {
      title: 'Units by month per category',
      description:
        'How many units does each chosen category sell a month (canceled orders left out)?',
      datasource: clickhouse,
    },
    'short',
  )
    .withTarget(monthly('quantity', 'category'))
    .span(12),
  timeSeriesPanel(
    {
      title: 'Revenue by month per category',
      description: 'How much does each chosen category sell for a month?',
      datasource: clickhouse,
    },
    'currencyBRL',
  )
    .withTarget(monthly('revenue', 'category'))
    .span(12),
  timeSeriesPanel(
    {
      title: 'Units by month per product',
      description: 'How many units does each chosen product sell a month?',
      datasource: clickhouse,
    },
    'short',
  )
    .withTarget(monthly('quantity', 'product'))
    .span(12),
  timeSeriesPanel(
    {
      title: 'Revenue by month per product',
      description: 'How much does each chosen product sell for a month?',
      datasource: clickhouse,
    },
    'currencyBRL',
  )
    .withTarget(monthly('revenue', 'product'))
    .span(12),
]

const scores = [1, 2, 3, 4, 5]

const customers = [
  barChartPanel(
    {
      title: 'Review scores by portfolio group',
      description:
        "How do customers rate orders by the order's portfolio tier (the best quadrant among its products)? Share of each score within a group, reviews created in the time range.",
      datasource: clickhouse,
    },
    'percentunit',
  )
    .withTarget(
      clickhouseQuery(`
        SELECT ${quadrantNameOfRank('tier_rank')} AS portfolio_group,
          ${scores.map((s) => `countIf(${review.review_score} = ${s}) / count() AS \`${s} star${s > 1 ? 's' : ''}\``).join(',\n          ')}
        FROM (
          SELECT r.${review.review_score} AS ${review.review_score}, ifNull(t.tier_rank, 4) AS tier_rank
          FROM ${factReviewAnswerLeadDays.name} AS r
          LEFT JOIN (${orderTierQuery()}) AS t ON t.order_id = r.${review.order_id}
          WHERE $__timeFilter(r.${review.review_creation_date})
        )
        GROUP BY tier_rank
        ORDER BY tier_rank
        SETTINGS join_use_nulls = 1`),
    )
    .xField('portfolio_group')
    .stacking(common.StackingMode.Percent)
    .span(12),
  timeSeriesPanel(
    {
      title: 'Average lead days per stage by month',
      description:
        'How long do orders placed in a month take from purchase to approval, approval to carrier, carrier to customer, and in all?',
      datasource: clickhouse,
    },
    'd',
  )
    .withTarget(
      clickhouseQuery(
        `
          SELECT toStartOfMonth(${lead.purchase_at}) AS time,
            avg(${lead.approve_lead_days}) AS approval,
            avg(${lead.carrier_lead_days}) AS to_carrier,
            avg(${lead.customer_lead_days}) AS to_customer,
            avg(${lead.total_lead_days}) AS total
          FROM ${factOrderLeadDays.name}
          WHERE $__timeFilter(${lead.purchase_at})
          GROUP BY time
          ORDER BY time`,
        { queryType: 'timeseries' },
      ),
    )
    .span(12),
]

export const salesDetail = (): dashboard.Dashboard =>
  withRows(
    new dashboard.DashboardBuilder('Sales Detail')
      .uid('kappa-sales-detail')
      .description(
        'What sells, to whom, how it is rated and how fast it arrives: rankings, monthly sales by category and product, reviews per portfolio group, lead time per stage (ClickHouse).',
      )
      .tags(['kappa', 'sales'])
      .time(OLIST_TIME_RANGE)
      .timezone('utc')
      .readonly()
      .withVariable(categoryVariable)
      .withVariable(productVariable),
    [
      ['Rankings', rankings],
      ['Monthly sales', monthlySales],
      ['Reviews and lead time', customers],
    ],
  )
