/**
 * The web console in Debian's Chromium against a real platform: a generated dataset goes
 * through the simulator and every job in one `kappa run --api` process, and each page must
 * show what the API answers for the same question (asked here directly, with the console's
 * own documents), filter and drill down as the API says, show the live generation, refuse a
 * wrong admin token with the API's UNAUTHENTICATED, and log no error.
 */
import assert from 'node:assert/strict'
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type TestContext, test } from 'node:test'
import { print } from '@0no-co/graphql.web'
import type { Page } from 'playwright-core'
import type { ResultOf, TadaDocumentNode } from '../../console/src/graphql.ts'
import {
  DELIVERY_DELAYS,
  GENERATIONS,
  LEAD_TIME,
  MONTHLY_SALES,
  ORDER,
  PIPELINE_JOBS,
  PIPELINE_TABLES,
  PORTFOLIO_MATRIX,
  PORTFOLIO_SUMMARY,
  REVIEW_DISTRIBUTION,
  SALES_RANKINGS,
  TOP_K,
} from '../../console/src/queries.ts'
import { jobCatalogue } from '../../streams/jobs.ts'
import { launchBrowser, watchedPage } from '../support/browser.ts'
import { publishGenerated } from '../support/generated.ts'
import { JobProcess, newJobRun, printLogsOnFailure, untilSettled } from '../support/job-process.ts'
import { createTestPlatform } from '../support/platform.ts'
import { repoRoot } from '../support/stack.ts'

const SCALE = Number(process.env.CONSOLE_SCALE ?? 0.02)
const SEED = 20_240_514
const ADMIN_TOKEN = 'console-test-admin-token'
const SHOTS = join(repoRoot, 'var', 'screenshots')

const money = new Intl.NumberFormat('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })
const integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 })

/** Asks the API directly: the console's own documents (typed by them), or a query of the test's. */
interface Api {
  <D, V>(document: TadaDocumentNode<D, V>, variables?: V, token?: string): Promise<D>
  <T>(query: string, variables?: Record<string, unknown>, token?: string): Promise<T>
}

type Query = string | TadaDocumentNode<unknown, unknown>

function apiAt(base: string): Api {
  const post = async (document: Query, variables: unknown, token?: string) => {
    const query = typeof document === 'string' ? document : print(document)
    const response = await fetch(`${base}/graphql`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
      },
      body: JSON.stringify({ query, variables }),
    })
    return (await response.json()) as {
      data?: unknown
      errors?: { message: string; extensions?: { code?: string } }[]
    }
  }
  return (async (query: Query, variables: unknown = {}, token?: string) => {
    const body = await post(query, variables, token)
    assert.equal(body.errors, undefined, JSON.stringify(body.errors))
    return body.data
  }) as Api
}

const texts = (page: Page, selector: string) => page.locator(selector).allTextContents()
/** The `data-key` of every keyed row in `table`, in page order. */
const dataKeys = (page: Page, table: string) =>
  page
    .locator(`${table} [data-key]`)
    .evaluateAll((rows) => rows.map((row) => row.getAttribute('data-key')))

async function shot(page: Page, name: string) {
  mkdirSync(SHOTS, { recursive: true })
  await page.screenshot({ path: join(SHOTS, `console-${name}.png`), fullPage: true })
}

/** The live generation of a job, as the generations API says. */
async function liveGeneration(api: Api, job: string): Promise<number> {
  const { generations } = await api<{ generations: { generation: number; status: string }[] }>(
    'query($job: String) { generations(job: $job) { generation status } }',
    { job },
  )
  const live = generations.find((g) => g.status === 'LIVE')
  assert.ok(live, `${job} has no live generation: ${JSON.stringify(generations)}`)
  return live.generation
}

/** Waits until the panel's as-of line names a generation, and returns what it says. */
async function asOfOf(page: Page, panel: string) {
  const line = page.locator(`#${panel} [data-asof][data-generation]`)
  await line.waitFor()
  return {
    job: await line.getAttribute('data-job'),
    generation: Number(await line.getAttribute('data-generation')),
    text: (await line.textContent()) ?? '',
  }
}

async function assertAsOf(t: TestContext, page: Page, api: Api, panel: string, job: string) {
  const asOf = await asOfOf(page, panel)
  assert.equal(asOf.job, job)
  assert.equal(asOf.generation, await liveGeneration(api, job), `${panel}: ${asOf.text}`)
  assert.match(asOf.text, /^as of event time \d{4}-\d\d-\d\d \d\d:\d\d UTC, generation \d+ of /)
  t.diagnostic(`${panel}: ${asOf.text}`)
}

test('the web console shows what the API answers, on every page', {
  timeout: 15 * 60_000,
}, async (t) => {
  const platform = await createTestPlatform(t)
  const work = mkdtempSync(join(tmpdir(), 'kappa-console-'))
  t.after(() => rmSync(work, { recursive: true, force: true }))
  await publishGenerated(platform, { work, scale: SCALE, seed: SEED })
  const entries = Object.values(jobCatalogue)
  const run = newJobRun(t, platform)
  const job = await JobProcess.start(platform, run, entries, {
    args: ['--api'],
    env: { ADMIN_TOKEN },
    label: 'console',
  })
  t.after(() => job.stop())

  await printLogsOnFailure([job], async () => {
    await untilSettled(platform, job, entries, run.namespace, 8 * 60_000)
    const base = `http://127.0.0.1:${job.port}`
    const api = apiAt(base)

    const browser = await launchBrowser(t)
    const { page, problems } = await watchedPage(browser)
    const outside: string[] = []
    page.on('request', (request) => {
      const url = request.url()
      if (!url.startsWith('data:') && new URL(url).origin !== base) outside.push(url)
    })

    await t.test('the console is served at / beside /graphql, with its assets', async () => {
      const html = await fetch(`${base}/`)
      assert.equal(html.status, 200)
      assert.match(html.headers.get('content-type') ?? '', /^text\/html/)
      assert.match(html.headers.get('content-security-policy') ?? '', /connect-src 'self'/)
      const js = await fetch(`${base}/assets/console.js`)
      assert.equal(js.status, 200)
      assert.match(js.headers.get('content-type') ?? '', /javascript/)
      assert.equal((await fetch(`${base}/assets/nothing.js`)).status, 404)
      assert.equal((await fetch(`${base}/`, { method: 'POST' })).status, 405)
      // GraphQL stays yoga's.
      const gql = await api<{ __typename: string }>('{ __typename }')
      assert.equal(gql.__typename, 'Query')
    })

    await t.test('delivery monitor: the ranked list, a filter, a drill-down', async (st) => {
      await page.goto(`${base}/#/delivery`)
      const rows = page.locator('table.delays tbody tr')
      await rows.first().waitFor()
      const expected = await api(DELIVERY_DELAYS, {
        filter: {},
        first: 25,
        after: null,
        orderBy: 'TIER_THEN_DAYS',
      })
      const nodes = expected.deliveryDelays.edges.map((e) => e.node)
      assert.ok(nodes.length > 0, 'the API has no late order to show')
      assert.deepEqual(
        await page
          .locator('table.delays a.order-link')
          .evaluateAll((links) => links.map((a) => a.getAttribute('data-order-id'))),
        nodes.map((n) => n.orderId),
      )
      assert.deepEqual(
        await texts(page, 'table.delays tbody td:nth-child(5)'),
        nodes.map((n) => String(n.daysLate)),
      )
      assert.equal(
        await page.locator('.pager [data-total]').getAttribute('data-total'),
        String(expected.deliveryDelays.totalCount),
      )
      await assertAsOf(st, page, api, 'delays', 'order-lifecycle')

      // A filter by keyboard: the customer state most late orders of the page are in.
      const counts = new Map<string, number>()
      for (const n of nodes) {
        if (n.customerState) counts.set(n.customerState, (counts.get(n.customerState) ?? 0) + 1)
      }
      const state = [...counts].sort((a, b) => b[1] - a[1])[0]![0]
      const filtered = await api(DELIVERY_DELAYS, {
        filter: { customerState: state, status: 'DELIVERED_LATE' },
        first: 25,
        after: null,
        orderBy: 'TIER_THEN_DAYS',
      })
      const filteredIds = filtered.deliveryDelays.edges.map((e) => e.node.orderId)
      assert.ok(filteredIds.length > 0, `no delivered-late order in ${state}`)
      await page.focus('#f-state')
      await page.keyboard.type(state)
      await page.focus('#f-status')
      await page.keyboard.type('Delivered')
      assert.equal(await page.locator('#f-status').inputValue(), 'DELIVERED_LATE')
      await page.waitForFunction(
        (ids) =>
          JSON.stringify(
            [...document.querySelectorAll('table.delays a.order-link')].map((a) =>
              a.getAttribute('data-order-id'),
            ),
          ) === JSON.stringify(ids),
        filteredIds,
        { timeout: 20_000 },
      )
      assert.deepEqual(
        new Set(await texts(page, 'table.delays tbody td:nth-child(6)')),
        new Set([state]),
      )
      assert.match(page.url(), new RegExp(`state=${state}`))

      // Drill down by keyboard: the second order of the list.
      const target = filtered.deliveryDelays.edges[Math.min(1, filteredIds.length - 1)]!.node
      await page.locator('table.delays a.order-link').first().focus()
      if (filteredIds.length > 1) await page.keyboard.press('ArrowDown')
      await page.keyboard.press('Enter')
      await page.locator(`#order dd[data-order-id="${target.orderId}"]`).waitFor()
      const { order } = await api(ORDER, { id: target.orderId })
      assert.ok(order, `the API does not know order ${target.orderId}`)
      assert.deepEqual(
        await page
          .locator('#order table.items [data-product-id]')
          .evaluateAll((cells) => cells.map((c) => c.getAttribute('data-product-id'))),
        order.items.map((i) => i.productId),
      )
      const leads = await texts(page, '#order table.stages tbody td:nth-child(4)')
      const days = (n: number | null) => (n === null ? '–' : n.toFixed(1))
      assert.deepEqual(leads.slice(0, 4), [
        days(order.lifecycle!.approveLeadDays),
        days(order.lifecycle!.carrierLeadDays),
        days(order.lifecycle!.customerLeadDays),
        days(order.lifecycle!.totalLeadDays),
      ])
      const delay = order.lifecycle!.delayDays
      assert.ok(delay !== null && delay > 0, 'a delivered-late order has a positive delay')
      assert.match(
        (await page.locator('#order .lateness').textContent()) ?? '',
        new RegExp(`delivered ${delay} days? after the promised day`),
      )
      await page.locator('#order svg.plot').first().waitFor()
      const customer = order.customer?.location
      if (customer?.lat != null) {
        const point = page.locator('#order .point-customer')
        assert.equal(Number(await point.getAttribute('data-lat')), customer.lat)
        assert.equal(Number(await point.getAttribute('data-lng')), customer.lng)
      }
      const sellers = new Set(
        order.items.filter((i) => i.sellerLocation.lat !== null).map((i) => i.sellerId),
      )
      assert.equal(await page.locator('#order .point-seller').count(), sellers.size)
      await assertAsOf(st, page, api, 'order', 'order-lifecycle')
      await shot(page, 'delivery')
    })

    await t.test('sales: rankings, monthly sales, reviews, lead time', async (st) => {
      await page.goto(`${base}/#/sales`)
      await page.locator('table.rankings tbody tr').first().waitFor()
      const { salesRankings } = await api(SALES_RANKINGS, {
        by: 'CATEGORY',
        first: 15,
        from: null,
        to: null,
      })
      assert.ok(salesRankings.entries.length > 0)
      assert.deepEqual(
        await dataKeys(page, 'table.rankings'),
        salesRankings.entries.map((e) => e.key),
      )
      assert.deepEqual(
        await texts(page, 'table.rankings tbody td:nth-child(5)'),
        salesRankings.entries.map((e) => money.format(e.revenue)),
      )
      assert.deepEqual(
        await texts(page, 'table.rankings tbody td:nth-child(4)'),
        salesRankings.entries.map((e) => integer.format(e.units)),
      )
      assert.equal(
        await page.locator('#rankings svg.plot g[aria-label="bar"] rect').count(),
        salesRankings.entries.length,
      )
      await assertAsOf(st, page, api, 'rankings', 'sales-rollup')

      // Monthly sales of the second category, chosen from the ranking.
      const second = salesRankings.entries[Math.min(1, salesRankings.entries.length - 1)]!
      await page.locator(`table.rankings button[data-key="${second.key}"]`).click()
      await page.locator(`#monthly .summary[data-key="${second.key}"]`).waitFor()
      const { monthlySales } = await api(MONTHLY_SALES, {
        by: 'CATEGORY',
        key: second.key,
        from: null,
        to: null,
      })
      assert.deepEqual(
        await texts(page, 'table.monthly tbody td:nth-child(1)'),
        monthlySales.months.map((m) => m.month),
      )
      assert.deepEqual(
        await texts(page, 'table.monthly tbody td:nth-child(2)'),
        monthlySales.months.map((m) => integer.format(m.quantity)),
      )
      assert.deepEqual(
        await texts(page, 'table.monthly tbody td:nth-child(3)'),
        monthlySales.months.map((m) => money.format(m.revenue)),
      )
      assert.equal(
        await page.locator('#monthly svg.plot g[aria-label="rect"] rect').count(),
        monthlySales.months.length,
      )

      const { reviewDistribution } = await api(REVIEW_DISTRIBUTION)
      await page.locator('table.reviews tbody tr').first().waitFor()
      assert.deepEqual(
        await texts(page, 'table.reviews tbody td:nth-child(2)'),
        reviewDistribution.groups.map((g) => integer.format(g.reviews)),
      )
      assert.ok(reviewDistribution.reviews > 0)
      await assertAsOf(st, page, api, 'reviews', 'reviews')

      const { leadTimeByMonth } = await api(LEAD_TIME, { from: null, to: null })
      assert.deepEqual(
        await texts(page, 'table.leadtime tbody td:nth-child(2)'),
        leadTimeByMonth.months.map((m) => integer.format(m.orders)),
      )
      assert.deepEqual(
        await texts(page, 'table.leadtime tbody td:nth-child(8)'),
        leadTimeByMonth.months.map((m) => (m.totalDays === null ? '–' : m.totalDays.toFixed(1))),
      )
      await assertAsOf(st, page, api, 'leadtime', 'order-lifecycle')
      await shot(page, 'sales')
    })

    await t.test('portfolio matrix: categories, the scatter, thresholds and counts', async (st) => {
      const { portfolioSummary } = await api(PORTFOLIO_SUMMARY, {
        from: null,
        to: null,
      })
      const categories = portfolioSummary.categories
      assert.ok(categories.length > 0)
      // A category split by the long-tail rule when there is one, else the one with most products.
      const chosen =
        categories.find((c) => c.thresholds.volumeRule === 'MORE_THAN_ONE' && c.products >= 4) ??
        [...categories].sort((a, b) => b.products - a.products)[0]!
      await page.goto(`${base}/#/portfolio`)
      await page.locator('table.categories tbody tr').first().waitFor()
      assert.deepEqual(
        await page
          .locator('table.categories tr[data-category]')
          .evaluateAll((r) => r.map((x) => x.getAttribute('data-category'))),
        categories.map((c) => c.category),
      )
      await page.locator('#f-category').selectOption(chosen.category)
      await page.locator(`#matrix .plot[aria-label*="${chosen.category}:"]`).waitFor()
      const { portfolioMatrix } = await api(PORTFOLIO_MATRIX, {
        category: chosen.category,
        from: null,
        to: null,
      })
      const thresholds = page.locator('#matrix ul.thresholds')
      assert.equal(
        Number(await thresholds.getAttribute('data-volume')),
        portfolioMatrix.thresholds!.volume,
      )
      assert.equal(
        Number(await thresholds.getAttribute('data-price')),
        portfolioMatrix.thresholds!.price,
      )
      assert.equal(
        await thresholds.getAttribute('data-rule'),
        portfolioMatrix.thresholds!.volumeRule,
      )
      assert.equal(
        await page.locator('#matrix .plot g[aria-label="dot"] circle').count(),
        portfolioMatrix.products.length,
      )
      assert.deepEqual(
        await texts(page, '#matrix table.quadrants tbody td:nth-child(2)'),
        portfolioMatrix.quadrants.map((q) => integer.format(q.products)),
      )
      for (const q of portfolioMatrix.quadrants) {
        const label = page.locator('#matrix .plot text', { hasText: `${q.name}: ${q.products}` })
        assert.equal(await label.count(), 1, `quadrant label ${q.name}: ${q.products}`)
      }
      st.diagnostic(
        `${chosen.category}: ${portfolioMatrix.products.length} products, rule ${portfolioMatrix.thresholds!.volumeRule}`,
      )
      await assertAsOf(st, page, api, 'matrix', 'sales-rollup')
      await shot(page, 'portfolio')
    })

    await t.test('top-K: a bucket kind and time, ranked keys with error bars', async (st) => {
      // The month that sold most, then the one before it through the time picker.
      const { monthlySales } = await api(MONTHLY_SALES, { by: 'ALL' })
      const busiest = [...monthlySales.months].sort((a, b) => b.quantity - a.quantity)[0]!.month
      const ask = (at: string) =>
        api(TOP_K, { bucket: 'MONTH', dimension: 'CATEGORY', at, k: 10 }).then((a) => a.topK)
      const expected = await ask(`${busiest}-15`)
      assert.ok(expected.entries.length > 0, `nothing ranked in ${busiest}`)
      await page.goto(`${base}/#/topk`)
      await page.locator('#topk [data-asof][data-generation]').waitFor()
      await page.locator('#f-bucket').selectOption('MONTH')
      await page.locator('#f-dimension').selectOption('CATEGORY')
      await page.locator('#f-k').selectOption('10')
      await page.locator('#f-at').fill(`${busiest}-15`)
      await page.locator('#f-at').press('Enter')
      const summary = page.locator(`#topk .summary[data-bucket-start="${expected.bucketStart}"]`)
      await summary.waitFor()
      const checkTable = async (answer: ResultOf<typeof TOP_K>['topK']) => {
        assert.deepEqual(
          await dataKeys(page, 'table.topk'),
          answer.entries.map((e) => e.key),
        )
        assert.deepEqual(
          await texts(page, 'table.topk tbody td:nth-child(3)'),
          answer.entries.map((e) => integer.format(e.estimatedCount)),
        )
        assert.deepEqual(
          await texts(page, 'table.topk tbody td:nth-child(5)'),
          answer.entries.map((e) => integer.format(e.lowerBound)),
        )
        // Each error bar: a rule from the lower bound to the estimate, a tick at either end.
        assert.equal(
          await page.locator('#topk svg.plot g[aria-label="tick"] line').count(),
          2 * answer.entries.length,
        )
      }
      await checkTable(expected)
      assert.match(
        (await summary.textContent()) ?? '',
        new RegExp(`${integer.format(expected.total)} units counted`),
      )

      await page.locator('#bucket-previous').click()
      const before = await ask(new Date(Date.parse(expected.bucketStart!) - 1).toISOString())
      await page.locator(`#topk .summary[data-bucket-start="${before.bucketStart}"]`).waitFor()
      if (before.entries.length > 0) await checkTable(before)
      await page.locator('#bucket-next').click()
      await summary.waitFor()
      await assertAsOf(st, page, api, 'topk', 'top-k')
      await shot(page, 'topk')
    })

    await t.test(
      'pipeline: jobs, a replay, swap and rollback, refused without the token',
      async (st) => {
        await page.goto(`${base}/#/pipeline`)
        await page.locator('table.jobs tbody tr').first().waitFor()
        const { pipeline } = await api(PIPELINE_JOBS)
        const { pipeline: tables } = await api(PIPELINE_TABLES)
        assert.deepEqual(
          await texts(page, 'table.jobs tbody td:nth-child(1)'),
          pipeline.jobs.map((j) => j.name),
        )
        assert.deepEqual(
          await texts(page, 'table.jobs tbody td:nth-child(4)'),
          pipeline.jobs.map((j) => integer.format(j.lag ?? 0)),
        )
        assert.deepEqual(
          await texts(page, 'table.jobs tbody td:nth-child(7)'),
          pipeline.jobs.map((j) => integer.format(j.deadLetters ?? 0)),
        )
        assert.deepEqual(
          await texts(page, 'table.tables tbody td:nth-child(4)'),
          tables.tables.map((x) => integer.format(x.rows ?? 0)),
        )
        await assertAsOf(st, page, api, 'jobs', pipeline.asOf.job)

        // A rebuild of the reviews job that waits for a swap.
        const { replay } = await api<{ replay: { job: string; generation: number }[] }>(
          'mutation { replay(jobs: ["reviews"], swap: MANUAL) { job generation } }',
          {},
          ADMIN_TOKEN,
        )
        const built = replay[0]!.generation
        await page
          .locator('table.replays tbody tr', { hasText: `reviews g${built}` })
          .waitFor({ timeout: 60_000 })
        const swap = page.locator(
          `button[data-action="swap"][data-job="reviews"][data-generation="${built}"]`,
        )
        await swap.waitFor({ timeout: 120_000 })
        await shot(page, 'pipeline')
        const rollbacks = page.locator('#generations button[data-action="rollback"]')
        assert.equal(await rollbacks.count(), 0, 'a generation 1 offers a rollback to nothing')
        const before = await api(GENERATIONS)

        const refused = async () => {
          await page.locator('#admin-token').waitFor()
          await page.keyboard.type('not-the-token')
          await page.keyboard.press('Enter')
          const refusal = page.locator('#generations .refusal[data-code="UNAUTHENTICATED"]')
          await refusal.waitFor()
          assert.match((await refusal.textContent()) ?? '', /^Refused: UNAUTHENTICATED: /)
          await page.locator('#generations .refusal').evaluate((e) => e.remove())
        }
        const statuses = (a: ResultOf<typeof GENERATIONS>) =>
          a.generations.map((g) => `${g.job} g${g.generation} ${g.status}`)
        await swap.click()
        await refused()
        assert.deepEqual(
          statuses(await api(GENERATIONS)),
          statuses(before),
          'a refused swap changed generations',
        )
        assert.equal(await liveGeneration(api, 'reviews'), 1)

        // The right token swaps, and the reviews panel then answers from the new generation.
        await swap.click()
        await page.locator('#admin-token').fill(ADMIN_TOKEN)
        await page.locator('#token-confirm').click()
        await page
          .locator('#generations .notice', { hasText: `generation ${built} is live` })
          .waitFor()
        await page
          .locator(
            `#generations tr[data-job="reviews"][data-generation="${built}"][data-status="LIVE"]`,
          )
          .waitFor()
        assert.equal(await liveGeneration(api, 'reviews'), built)

        // Now, and only now, reviews can roll back: from g<built> to g1.
        const rollback = page.locator(
          `#generations tr[data-job="reviews"][data-generation="${built}"] button[data-action="rollback"][data-target="1"]`,
        )
        await rollback.waitFor()
        assert.equal(await rollbacks.count(), 1, 'only reviews has a generation to go back to')
        await shot(page, 'pipeline-swapped')
        const swapped = await api(GENERATIONS)
        await rollback.click()
        await refused()
        assert.deepEqual(
          statuses(await api(GENERATIONS)),
          statuses(swapped),
          'a refused rollback changed generations',
        )

        await page.goto(`${base}/#/sales`)
        await page.locator(`#reviews [data-asof][data-generation="${built}"]`).waitFor()
        await assertAsOf(st, page, api, 'reviews', 'reviews')

        // The right token rolls back: readers are on generation 1 again.
        await page.goto(`${base}/#/pipeline`)
        await rollback.click()
        await page.locator('#admin-token').fill(ADMIN_TOKEN)
        await page.locator('#token-confirm').click()
        await page
          .locator('#generations .notice', { hasText: 'readers are back on generation 1' })
          .waitFor()
        assert.equal(await liveGeneration(api, 'reviews'), 1)
      },
    )

    await t.test('pages poll on their own, and not while the tab is hidden', async () => {
      await page.goto(`${base}/#/portfolio`)
      await page.locator('#matrix [data-asof][data-generation]').waitFor()
      let asked = 0
      const count = (request: { url: () => string }) => {
        if (request.url() === `${base}/graphql`) asked += 1
      }
      page.on('request', count)
      const setHidden = (hidden: boolean) =>
        page.evaluate((value) => {
          Object.defineProperty(document, 'hidden', { value, configurable: true })
          document.dispatchEvent(new Event('visibilitychange'))
        }, hidden)
      try {
        await page.waitForTimeout(6_000)
        assert.ok(asked >= 2, `only ${asked} requests in 6 s while visible`)
        await setHidden(true)
        await page.waitForTimeout(1_000)
        assert.match((await page.locator('#poll-status').textContent()) ?? '', /paused/)
        asked = 0
        await page.waitForTimeout(7_000)
        assert.equal(asked, 0, 'the page polled while hidden')
        await setHidden(false)
        await page.waitForTimeout(1_000)
        assert.ok(asked >= 1, 'the page did not refresh when shown again')
        assert.match((await page.locator('#poll-status').textContent()) ?? '', /^updated /)
      } finally {
        page.off('request', count)
      }
    })

    await t.test('the browser logged no error and fetched nothing from elsewhere', () => {
      assert.deepEqual(problems, [])
      assert.deepEqual(outside, [])
    })
  })
})
