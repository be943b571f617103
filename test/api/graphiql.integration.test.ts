import assert from 'node:assert/strict'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { createApi } from '../../api/yoga.ts'
import { startHttpServer } from '../../core/http.ts'
import { silentLogger } from '../../core/logger.ts'
import { createMetricsRegistry } from '../../core/metrics.ts'
import { fixtureApi } from '../support/api-fixtures.ts'
import { launchBrowser, watchedPage } from '../support/browser.ts'
import { freePort } from '../support/job-process.ts'
import { repoRoot } from '../support/stack.ts'

test('GraphiQL renders from bundled assets and runs a query, with no outside request', {
  timeout: 120_000,
}, async (t) => {
  const { clickhouse } = await fixtureApi(t, {})
  const logger = silentLogger()
  const yoga = createApi({
    clickhouse,
    logger,
    namespace: 'fixture',
    topicPrefix: '',
    queryTimeoutMs: 5_000,
  })
  const port = await freePort()
  const server = await startHttpServer({
    port,
    metrics: createMetricsRegistry({ defaults: false }),
    health: {},
    app: yoga,
    logger,
  })
  t.after(() => server.close())

  const browser = await launchBrowser(t)
  const { page, problems } = await watchedPage(browser)
  const outside: string[] = []
  page.on('request', (request) => {
    // Same origin, blob: workers of the page included; data: URLs never leave the page.
    const url = request.url()
    if (!url.startsWith('data:') && new URL(url).origin !== `http://127.0.0.1:${port}`) {
      outside.push(url)
    }
  })
  const query = '{ deliveryDelays(first: 1) { totalCount } }'
  await page.goto(`http://127.0.0.1:${port}/graphql?query=${encodeURIComponent(query)}`)
  await page.locator('.graphiql-execute-button').click({ timeout: 30_000 })
  await page.getByText('"totalCount": 0').waitFor({ timeout: 30_000 })
  const shots = join(repoRoot, 'var', 'screenshots')
  mkdirSync(shots, { recursive: true })
  await page.screenshot({ path: join(shots, 'graphiql.png') })

  assert.deepEqual(outside, [], 'the page fetched something from outside the platform')
  assert.doesNotMatch(await page.title(), /__TITLE__/)
  assert.deepEqual(problems, [])
})
