import * as common from '@grafana/grafana-foundation-sdk/common'
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard'
import {
  PanelBuilder as GeomapPanel,
  MapViewConfigBuilder,
} from '@grafana/grafana-foundation-sdk/geomap'
import { factOrderDetail } from '../../../tables/fact-order-detail.ts'
import { factOrderLeadDays } from '../../../tables/fact-order-lead-days.ts'
import { orderDelay } from '../../../tables/order-delay.ts'
import { orderTierQuery } from '../../../tables/portfolio.ts'
import { clickhouseQuery } from './clickhouse-query.ts'
import { clickhouseDatasource as clickhouse } from './datasources.ts'
import { statPanel, tablePanel, withRows } from './panels.ts'
import { quadrantNameOfRank } from './portfolio-names.ts'
import { columnsOf } from './tables.ts'
import { OLIST_TIME_RANGE } from './time-range.ts'

const delay = columnsOf(orderDelay)
const lead = columnsOf(factOrderLeadDays)
const detail = columnsOf(factOrderDetail)

export const DELIVERY_MONITOR_UID = 'kappa-delivery-monitor'

/** The delay states readers see (the other two close an earlier open delay). */
const LATE_STATES = ['open', 'delivered_late']

const stateVariable = new dashboard.CustomVariableBuilder('state')
  .label('Delay')
  .description('open: past its promised day and undelivered; delivered_late: arrived after it')
  .values(LATE_STATES.join(','))
  .multi(true)
  .includeAll(true)
  .current({ text: 'All', value: '$__all' })

const orderVariable = new dashboard.TextBoxVariableBuilder('order')
  .label('Order id')
  .description(
    'One order to inspect (click an order id in the late-orders table); empty: the late orders',
  )
  .defaultValue('')

/** Late orders in the chosen states whose promised date falls in the time range. */
const lateOrders = `
  SELECT ${delay.order_id} FROM ${orderDelay.name}
  WHERE ${delay.delay_state} IN (\${state:singlequote}) AND ${delay.delay_days} >= 1
    AND $__timeFilter(${delay.estimated_delivery_at})`

/** The chosen order, or every late order when none is chosen. */
const inScope = (orderId: string) =>
  `if(\${order:sqlstring} = '', ${orderId} IN (${lateOrders}), ${orderId} = \${order:sqlstring})`

const late = [
  statPanel(
    {
      title: 'Late orders',
      description:
        'How many orders promised in the time range are still undelivered past their promised day (open), and how many arrived after it?',
      datasource: clickhouse,
    },
    'short',
  )
    .withTarget(
      clickhouseQuery(`
        SELECT countIf(${delay.delay_state} = 'open') AS open,
          countIf(${delay.delay_state} = 'delivered_late') AS delivered_late
        FROM ${orderDelay.name}
        WHERE ${delay.delay_days} >= 1 AND $__timeFilter(${delay.estimated_delivery_at})`),
    )
    .colorMode(common.BigValueColorMode.Value)
    .span(24)
    .height(4),
  tablePanel({
    title: 'Late orders by portfolio tier',
    description:
      "Which late orders matter most? Ranked by the order's portfolio tier (the best quadrant among its products), then by days late. Click an order id to inspect it below.",
    datasource: clickhouse,
  })
    .withTarget(
      clickhouseQuery(`
        SELECT ${quadrantNameOfRank('ifNull(t.tier_rank, 4)')} AS tier,
          d.${delay.order_id} AS order_id, d.${delay.delay_state} AS delay_state,
          d.${delay.delay_days} AS days_late, d.${delay.purchase_at} AS purchase_at,
          d.${delay.estimated_delivery_at} AS estimated_delivery_at,
          d.${delay.delivered_customer_at} AS delivered_customer_at
        FROM ${orderDelay.name} AS d
        LEFT JOIN (${orderTierQuery()}) AS t ON t.order_id = d.${delay.order_id}
        WHERE d.${delay.order_id} IN (${lateOrders})
        ORDER BY ifNull(t.tier_rank, 4), days_late DESC, order_id
        LIMIT 500
        SETTINGS join_use_nulls = 1`),
    )
    .overrideByName('order_id', [
      {
        id: 'links',
        value: [
          {
            title: 'Inspect this order',
            url: `/d/${DELIVERY_MONITOR_UID}?var-order=\${__value.raw}&\${state:queryparam}&\${__url_time_range}`,
          },
        ],
      },
    ])
    .span(24)
    .height(12),
]

const markers = (name: string, refId: string, color: string) =>
  new common.MapLayerOptionsBuilder()
    .type('markers')
    .name(name)
    .location(
      new common.FrameGeometrySourceBuilder()
        .mode(common.FrameGeometrySourceMode.Coords)
        .latitude('lat')
        .longitude('lng'),
    )
    .filterData({ id: 'byRefId', options: refId })
    .tooltip(true)
    .config({
      showLegend: true,
      style: { color: { fixed: color }, opacity: 0.6, size: { fixed: 5 } },
    })

const locations = (side: 'seller' | 'customer') => {
  const [lat, lng, city, state] =
    side === 'seller'
      ? [detail.seller_lat, detail.seller_lng, detail.seller_city, detail.seller_state]
      : [detail.customer_lat, detail.customer_lng, detail.customer_city, detail.customer_state]
  return `
    SELECT ${lat} AS lat, ${lng} AS lng, any(${city}) AS city, any(${state}) AS state,
      uniqExact(${detail.order_id}) AS orders
    FROM ${factOrderDetail.name}
    WHERE ${inScope(detail.order_id)} AND ${lat} IS NOT NULL AND ${lng} IS NOT NULL
    GROUP BY lat, lng
    ORDER BY orders DESC, lat, lng
    LIMIT 2000`
}

const order = [
  tablePanel({
    title: 'Status timestamps',
    description:
      'When did each order reach each stage, what was promised, and how long did each stage take (fact_order_lead_days)?',
    datasource: clickhouse,
  })
    .withTarget(
      clickhouseQuery(`
        SELECT ${lead.order_id}, ${lead.status}, ${lead.purchase_at}, ${lead.approved_at},
          ${lead.delivered_carrier_at}, ${lead.estimated_delivery_at}, ${lead.delivered_customer_at},
          ${lead.canceled_at}, ${lead.total_lead_days}, ${lead.delay_days}
        FROM ${factOrderLeadDays.name}
        WHERE ${inScope(lead.order_id)}
        ORDER BY ${lead.delay_days} DESC, ${lead.order_id}
        LIMIT 500`),
    )
    .span(24)
    .height(10),
  tablePanel({
    title: 'Order items',
    description:
      'What is in each order: category, product, quantity and unit price (fact_order_detail, one row per item)?',
    datasource: clickhouse,
  })
    .withTarget(
      clickhouseQuery(`
        SELECT ${detail.order_id},
          ifNull(${detail.category_name_english}, ${detail.category_name}) AS category,
          ${detail.product_id}, count() AS quantity, avg(${detail.price}) AS unit_price,
          sum(${detail.price}) AS items_total, any(${detail.join_status}) AS join_status
        FROM ${factOrderDetail.name}
        WHERE ${inScope(detail.order_id)}
        GROUP BY ${detail.order_id}, category, ${detail.product_id}
        ORDER BY ${detail.order_id}, ${detail.product_id}
        LIMIT 1000`),
    )
    .overrideByName('unit_price', [{ id: 'unit', value: 'currencyBRL' }])
    .overrideByName('items_total', [{ id: 'unit', value: 'currencyBRL' }])
    .span(12)
    .height(14),
  new GeomapPanel()
    .title('Seller and customer locations')
    .description(
      'Where do the late orders (or the chosen one) ship from and to? Sellers and customers by the coordinates of their zip code prefix.',
    )
    .datasource(clickhouse)
    .withTarget(clickhouseQuery(locations('seller'), { refId: 'A' }))
    .withTarget(clickhouseQuery(locations('customer'), { refId: 'B' }))
    .view(new MapViewConfigBuilder().id('coords').lat(-15).lon(-50).zoom(3.5))
    .basemap(new common.MapLayerOptionsBuilder().type('default').name('Basemap'))
    .layers([markers('Sellers', 'A', 'blue'), markers('Customers', 'B', 'orange')])
    .span(12)
    .height(14),
]

export const deliveryMonitor = (): dashboard.Dashboard =>
  withRows(
    new dashboard.DashboardBuilder('Delivery Monitor')
      .uid(DELIVERY_MONITOR_UID)
      .description(
        'Which orders are late, which of them matter most (portfolio tier), and what happened to one: status timestamps, items, locations (ClickHouse).',
      )
      .tags(['kappa', 'delivery'])
      .time(OLIST_TIME_RANGE)
      .timezone('utc')
      .readonly()
      .withVariable(stateVariable)
      .withVariable(orderVariable),
    [
      ['Late orders', late],
      ['Orders in scope', order],
    ],
  )
