import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { parse } from 'yaml'
import { configVariables, loadConfig } from '../../core/config.ts'
import { repoRoot } from '../support/stack.ts'

interface ComposeService {
  image?: string
  build?: unknown
  environment?: Record<string, string | number>
  healthcheck?: { test: unknown }
}

const compose = parse(readFileSync(join(repoRoot, 'docker-compose.yml'), 'utf8'), {
  merge: true,
}) as { services: Record<string, ComposeService> }
const services = compose.services

test('compose runs the pinned stack: 3 KRaft brokers, registry, Redis, ClickHouse, Prometheus, Grafana', () => {
  const images = Object.fromEntries(Object.entries(services).map(([n, s]) => [n, s.image]))
  for (const broker of ['kafka1', 'kafka2', 'kafka3']) {
    assert.equal(images[broker], 'apache/kafka:3.9.1')
    assert.equal(services[broker]?.environment?.KAFKA_PROCESS_ROLES, 'broker,controller')
    assert.equal(services[broker]?.environment?.KAFKA_AUTO_CREATE_TOPICS_ENABLE, 'false')
  }
  assert.equal(images['schema-registry'], 'confluentinc/cp-schema-registry:7.6.1')
  assert.match(images.redis ?? '', /^redis:7/)
  assert.match(images.clickhouse ?? '', /^clickhouse\/clickhouse-server:/)
  assert.equal(images.prometheus, 'prom/prometheus:v3.5.0')
  assert.equal(images.grafana, 'grafana/grafana:12.2.0')
  assert.match(
    String(services.grafana?.environment?.GF_INSTALL_PLUGINS),
    /grafana-clickhouse-datasource/,
  )
})

test('every long-running service has a healthcheck', () => {
  for (const [name, service] of Object.entries(services)) {
    if (name === 'bootstrap') continue
    assert.ok(service.healthcheck?.test, `${name} has no healthcheck`)
  }
})

test("the platform's environment is exactly variables the application reads, and it loads", () => {
  for (const name of ['platform', 'bootstrap']) {
    const env = services[name]?.environment ?? {}
    const unknown = Object.keys(env).filter((key) => !(key in configVariables))
    assert.deepEqual(unknown, [], `${name} sets variables the app never reads`)
    const config = loadConfig(
      Object.fromEntries(Object.entries(env).map(([k, v]) => [k, String(v)])),
    )
    assert.equal(config.kafkaBrokers.length, 3)
    assert.ok(config.clickhouseUrl, 'compose uses a ClickHouse server, not embedded chDB')
    for (const broker of config.kafkaBrokers) {
      assert.ok(services[broker.split(':')[0]!], `${broker} is a compose service`)
    }
  }
})
