import assert from 'node:assert/strict'
import { test } from 'node:test'
import { missingReport, neededBy, prerequisites } from '../../cli/prerequisites.ts'

test('a test file needs what it uses: the browser, Prometheus, the local stack', () => {
  const browser = "import { launchBrowser } from '../support/browser.ts'"
  const prometheus = "import { promtool } from '../support/prometheus.ts'"
  assert.deepEqual(neededBy('test/console/console.integration.test.ts', browser, {}), [
    'chromium',
    'java',
    'artifacts',
  ])
  assert.deepEqual(neededBy('test/ops/prometheus-rules.test.ts', prometheus, {}), ['prometheus'])
  assert.deepEqual(neededBy('test/core/config.test.ts', 'nothing special', {}), [])
  // Services named in the environment: no local stack, so no Java or artifacts.
  const given = { KAFKA_BROKERS: 'k:9092', SCHEMA_REGISTRY_URL: 'http://r:8081' }
  assert.deepEqual(neededBy('test/api/graphiql.integration.test.ts', browser, given), ['chromium'])
})

test('a missing tool is named with who needs it, where it was looked for and the fix', () => {
  const { chromium } = prerequisites('/repo', { CHROMIUM_PATH: '/nowhere/chromium' })
  assert.equal(chromium.present(), false)
  assert.equal(
    missingReport([chromium]),
    '  chromium, for the console and GraphiQL tests, in a real browser through playwright-core: not found at /nowhere/chromium (CHROMIUM_PATH); npm run setup installs it (alone: apt-get install -y chromium)',
  )
})
