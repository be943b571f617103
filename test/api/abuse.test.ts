import assert from 'node:assert/strict'
import { test } from 'node:test'
import { apiLimits } from '../../api/shared/limits.ts'
import { select } from '../../api/shared/query.ts'
import { createApi } from '../../api/yoga.ts'
import { silentLogger } from '../../core/logger.ts'
import { physicalName } from '../../replay/generations.ts'
import { orderDelay } from '../../tables/order-delay.ts'
import { fixtureApi } from '../support/api-fixtures.ts'

/**
 * Requests meant to hurt: each gets a typed error, and no error shows a stack trace, a file
 * path or SQL.
 */
const leaksNothing = (body: unknown) => {
  const text = JSON.stringify(body)
  for (const sign of ['node_modules', '.ts:', 'stack', 'SELECT', 'ClickHouse', 'DB::Exception']) {
    assert.ok(!text.includes(sign), `the answer shows internals (${sign}): ${text.slice(0, 300)}`)
  }
}

const codeOf = (body: { errors?: ReadonlyArray<{ extensions?: Record<string, unknown> }> }) =>
  body.errors?.[0]?.extensions?.code

const page =
  'deliveryDelays(first: 100) { edges { node { orderId items { productId category } } } }'

test('abusive queries are refused with typed errors', async (t) => {
  const { ask } = await fixtureApi(t, {})
  const cases: Array<[string, string, Record<string, unknown>, string]> = [
    [
      'depth 50, through introspection',
      `{ __schema { types { ${'fields { type { '.repeat(24)}name${' } }'.repeat(24)} } } }`,
      {},
      'QUERY_TOO_COMPLEX',
    ],
    [
      '1,000 aliases',
      `{ ${Array.from({ length: 1_000 }, (_, i) => `a${i}: __typename`).join(' ')} }`,
      {},
      'QUERY_TOO_COMPLEX',
    ],
    [
      'first: 1000000 in the query',
      '{ deliveryDelays(first: 1000000) { totalCount } }',
      {},
      'QUERY_TOO_COMPLEX',
    ],
    [
      'first: 1000000 as a variable',
      'query ($n: Int) { deliveryDelays(first: $n) { totalCount } }',
      { n: 1_000_000 },
      'PAGE_SIZE_EXCEEDED',
    ],
    ['an unknown field', '{ deliveryDelay { totalCount } }', {}, 'GRAPHQL_VALIDATION_FAILED'],
    ['broken syntax', '{ deliveryDelays(first: ) { ', {}, 'GRAPHQL_PARSE_FAILED'],
    [
      'cost evaded by naming the operation __schema',
      `query __schema { ${Array.from({ length: 10 }, (_, i) => `p${i}: ${page}`).join(' ')} }`,
      {},
      'QUERY_TOO_COMPLEX',
    ],
    [
      'cost evaded by naming a fragment __schema',
      `query { ${Array.from({ length: 10 }, (_, i) => `p${i}: deliveryDelays(first: 100) { ...__schema }`).join(' ')} }
       fragment __schema on DeliveryDelayConnection { edges { node { orderId items { productId category } } } }`,
      {},
      'QUERY_TOO_COMPLEX',
    ],
    [
      'depth through fragments',
      `{ __schema { types { ...F0 } } }
       ${Array.from({ length: 20 }, (_, i) => `fragment F${i} on __Type { ofType { ...F${i + 1} } }`).join('\n')}
       fragment F20 on __Type { name }`,
      {},
      'QUERY_TOO_COMPLEX',
    ],
  ]
  for (const [what, query, variables, code] of cases) {
    const body = await ask(query, variables)
    assert.equal(codeOf(body), code, `${what}: ${JSON.stringify(body).slice(0, 300)}`)
    assert.equal(body.data ?? null, null, `${what} returned data`)
    if (code === 'QUERY_TOO_COMPLEX') {
      assert.doesNotMatch(String(body.errors?.[0]?.message), /^Syntax Error/, what)
    }
    leaksNothing(body)
  }
  const unknown = await ask('{ deliveryDelay { totalCount } }')
  assert.doesNotMatch(
    JSON.stringify(unknown),
    /Did you mean/,
    'field suggestions reveal the schema',
  )
})

test('a 10 MB body is refused before parsing', async (t) => {
  const { ask } = await fixtureApi(t, {})
  const huge = await ask(`{ __typename }`, { padding: 'x'.repeat(10_000_000) })
  assert.equal(codeOf(huge), 'PAYLOAD_TOO_LARGE')
  assert.match(String(huge.errors?.[0]?.message), new RegExp(`${apiLimits.maxBodyBytes}`))
  leaksNothing(huge)
})

test('a batched array gets a typed error', async (t) => {
  const { clickhouse } = await fixtureApi(t, {})
  const api = createApi({
    clickhouse,
    logger: silentLogger(),
    namespace: 'fixture',
    topicPrefix: '',
    queryTimeoutMs: 1_000,
  })
  const response = await api.fetch('http://test/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify([{ query: '{ __typename }' }, { query: '{ __typename }' }]),
  })
  const body = (await response.json()) as {
    errors?: Array<{ extensions?: Record<string, unknown> }>
  }
  assert.ok(response.status >= 400, `status ${response.status}`)
  assert.equal(typeof codeOf(body), 'string', JSON.stringify(body))
  leaksNothing(body)
})

test('a query over its time limit answers TIMEOUT', async (t) => {
  const { clickhouse } = await fixtureApi(t, {})
  await assert.rejects(
    select({ clickhouse, queryTimeoutMs: 200 }, 'SELECT count() FROM numbers(100000000000)'),
    (error: Error & { extensions?: Record<string, unknown> }) =>
      error.extensions?.code === 'TIMEOUT' && /200 ms/.test(error.message),
  )
  // The limit was the query's own: the engine's later queries (sinks, diffs) are not held to it.
  const later = await clickhouse.query({
    query: "SELECT getSetting('max_execution_time') AS limit",
    format: 'JSONEachRow',
  })
  assert.deepEqual(await later.json(), [{ limit: 0 }])
})

test('an unexpected failure is masked, with a request id to find it in the logs', async (t) => {
  const { ask, clickhouse } = await fixtureApi(t, {})
  await clickhouse.command({ query: `DROP TABLE ${physicalName(orderDelay.name, 1)}` })
  const body = await ask('{ deliveryDelays { totalCount } }', {}, { 'x-request-id': 'req-42' })
  assert.equal(codeOf(body), 'INTERNAL_SERVER_ERROR')
  assert.equal(body.errors?.[0]?.extensions?.requestId, 'req-42')
  assert.match(String(body.errors?.[0]?.message), /req-42/)
  leaksNothing(body)
})
