/**
 * Every ClickHouse panel and query variable of the dashboards, run as Grafana would send it
 * (variables interpolated in their formats, the ClickHouse plugin's macros expanded, the
 * dashboard's default time range) against the tables the jobs built from a generated
 * dataset: each returns rows, with the columns its panel type draws.
 */
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import type * as common from '@grafana/grafana-foundation-sdk/common'
import type * as dashboard from '@grafana/grafana-foundation-sdk/dashboard'
import type { Platform } from '../../core/platform.ts'
import {
  type OpenDashboard,
  openDashboard,
  type Result,
  type Selection,
} from '../../ops/grafana/check/open-dashboard.ts'
import {
  describeQuery,
  type PanelQuery,
  panelQueries,
} from '../../ops/grafana/check/panel-queries.ts'
import { deliveryMonitor } from '../../ops/grafana/dashboards/delivery-monitor.ts'
import { dashboards } from '../../ops/grafana/dashboards/index.ts'
import { jobCatalogue } from '../../streams/jobs.ts'
import { BronzePublisher } from '../../streams/publisher.ts'
import { quadrants } from '../../tables/portfolio.ts'
import { publishGenerated } from '../support/generated.ts'
import { jobLag } from '../support/parity/progress.ts'
import { createTestPlatform, eventually, startTestJobs } from '../support/platform.ts'

const SCALE = 0.05
const SEED = 20_241_201
const CATCH_UP_MS = 5 * 60_000
/** An order item whose order never arrives: the completeness panels must show it. */
const ORPHAN_ORDER = 'kt-orphan-order-without-purchase'

type Kind = 'time' | 'number' | 'string' | 'other'

/** What a ClickHouse type is to a Grafana panel (Nullable and LowCardinality unwrapped). */
function kindOf(type: string): Kind {
  const bare = type.replace(/^(?:LowCardinality|Nullable)\((.*)\)$/, '$1')
  if (bare !== type) return kindOf(bare)
  if (/^(Date|Date32|DateTime|DateTime64)\b/.test(bare)) return 'time'
  if (/^(U?Int\d+|Float\d+|Decimal)/.test(bare)) return 'number'
  if (/^(String|FixedString|Enum)/.test(bare)) return 'string'
  return 'other'
}

const columnsOfKind = (result: Result, kind: Kind) =>
  result.meta.filter((c) => kindOf(c.type) === kind).map((c) => c.name)

/** The columns each panel type needs to draw anything. */
function checkShape(query: PanelQuery, result: Result): void {
  const where = describeQuery(query)
  assert.ok(result.data.length > 0, `${where} returned no rows`)
  const has = (kind: Kind) => columnsOfKind(result, kind).length > 0
  switch (query.panel.type) {
    case 'timeseries':
      assert.ok(has('time') && has('number'), `${where}: needs a time and a numeric column`)
      break
    case 'barchart':
      assert.ok(has('string') && has('number'), `${where}: needs a string and a numeric column`)
      break
    case 'stat':
      assert.ok(has('number'), `${where}: needs a numeric column`)
      break
    case 'table':
      assert.ok(result.meta.length > 0, `${where}: no columns`)
      break
    case 'geomap': {
      const layers = (query.panel.options as { layers: common.MapLayerOptions[] }).layers
      const layer = layers.find((l) => l.filterData?.options === query.refId)
      assert.ok(layer?.location, `${where}: no map layer draws this query`)
      const numeric = columnsOfKind(result, 'number')
      for (const field of [layer.location.latitude, layer.location.longitude]) {
        assert.ok(field && numeric.includes(field), `${where}: no numeric ${field} column`)
      }
      break
    }
    default:
      assert.fail(`${where}: no check for ${query.panel.type} panels`)
  }
}

async function publishIncompleteOrder(platform: Platform): Promise<void> {
  const publisher = new BronzePublisher(platform.kafka, platform.codec, platform.config.topicPrefix)
  await publisher.connect()
  const at = Date.UTC(2018, 0, 15)
  try {
    await publisher.publish([
      {
        topic: 'orderItem',
        value: {
          order_id: ORPHAN_ORDER,
          order_item_id: 1,
          product_id: 'kt-unknown-product',
          seller_id: 'kt-unknown-seller',
          shipping_limit_date: null,
          price: 10,
          freight_value: 1,
          event_time: at,
          ingest_time: at + 60,
        },
      },
    ])
  } finally {
    await publisher.disconnect()
  }
}

const clickhouseQueries = (board: dashboard.Dashboard) =>
  panelQueries(board).filter((q) => q.language === 'sql')

test('every ClickHouse panel and variable returns rows with the columns its panel draws', {
  timeout: 15 * 60_000,
}, async (t) => {
  const platform = await createTestPlatform(t, { partitions: 3 })
  const work = mkdtempSync(join(tmpdir(), 'kappa-grafana-panels-'))
  t.after(() => rmSync(work, { recursive: true, force: true }))
  await publishGenerated(platform, { work, scale: SCALE, seed: SEED })
  await publishIncompleteOrder(platform)
  const entries = Object.values(jobCatalogue)
  await startTestJobs(platform, entries)
  await eventually(
    async () => {
      const lag = await jobLag(platform, entries)
      return Object.values(lag).every((n) => n === 0) ? true : undefined
    },
    { timeoutMs: CATCH_UP_MS, intervalMs: 1_000, what: 'every job to commit its input ends' },
  )

  const run = async (query: string): Promise<Result> => {
    const result = await platform.clickhouse.query({
      query,
      format: 'JSON',
      clickhouse_settings: { output_format_json_quote_64bit_integers: 0 },
    })
    const { meta = [], data } = await result.json<Record<string, unknown>>()
    return { meta, data }
  }
  const open = (board: dashboard.Dashboard, selection: Selection, overrides = {}) =>
    openDashboard(board, { now: new Date(), selection, overrides, run })
  const rows = async (board: OpenDashboard, query: PanelQuery) => {
    const sql = board.sql(query.text)
    return run(sql).catch((error: Error) => {
      throw new Error(`${describeQuery(query)} failed: ${error.message}\n${sql}`)
    })
  }

  for (const build of Object.values(dashboards)) {
    const board = build()
    for (const selection of ['default', 'first-option'] as const) {
      await t.test(`${board.title}, variables at ${selection}`, async () => {
        const opened = await open(board, selection)
        for (const query of clickhouseQueries(board)) checkShape(query, await rows(opened, query))
      })
    }
  }

  await t.test('Pipeline Health shows the order whose purchase never arrived', async () => {
    const board = dashboards['pipeline-health.json']!()
    const opened = await open(board, 'default')
    const byTitle = (title: string) =>
      clickhouseQueries(board).find((q) => q.panel.title === title)!
    const missing = await rows(opened, byTitle('Orders missing expected records'))
    assert.ok(missing.data.some((r) => r.record === 'purchase' && Number(r.orders) >= 1))
    const incomplete = await rows(opened, byTitle('Incomplete orders'))
    assert.ok(incomplete.data.some((r) => r.order_id === ORPHAN_ORDER))
  })

  await t.test('Delivery Monitor: late orders by tier, then one chosen order', async () => {
    const board = deliveryMonitor()
    const queries = clickhouseQueries(board)
    const lateTable = queries.find((q) => q.panel.title === 'Late orders by portfolio tier')!
    const late = await rows(await open(board, 'default'), lateTable)
    const names: string[] = quadrants.map((q) => q.name)
    assert.deepEqual(
      late.data.filter((r) => !names.includes(String(r.tier))),
      [],
      'every late order has a quadrant as its tier',
    )
    const ranks = late.data.map((r) => names.indexOf(String(r.tier)))
    assert.deepEqual(
      ranks,
      [...ranks].sort((a, b) => a - b),
      'ranked by tier first',
    )

    const chosen = String(late.data[0]!.order_id)
    const opened = await open(board, 'default', { order: chosen })
    for (const title of ['Status timestamps', 'Order items']) {
      const result = await rows(opened, queries.find((q) => q.panel.title === title)!)
      assert.ok(result.data.length > 0, `${title} shows the chosen order`)
      assert.deepEqual(
        [...new Set(result.data.map((r) => r.order_id))],
        [chosen],
        `${title} shows only the chosen order`,
      )
    }
  })
})
