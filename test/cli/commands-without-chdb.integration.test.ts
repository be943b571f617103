/**
 * Commands that never query ClickHouse never open it: with another process holding the
 * embedded chDB data directory (as `kappa demo` or `kappa run --api` does), `kappa topics` and
 * `kappa simulate` pointed at the same directory still do their work.
 */
import assert from 'node:assert/strict'
import { spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { createTestPlatform } from '../support/platform.ts'
import { repoRoot } from '../support/stack.ts'

test('kappa topics and kappa simulate run beside a process that holds the chDB directory', {
  timeout: 5 * 60_000,
}, async (t) => {
  const platform = await createTestPlatform(t, { bootstrap: false })
  const { config } = platform
  const work = mkdtempSync(join(tmpdir(), 'kappa-nochdb-'))
  t.after(() => rmSync(work, { recursive: true, force: true }))
  const chdbDir = join(work, 'chdb')

  const holder = spawn(
    process.execPath,
    ['--import', 'tsx', join(repoRoot, 'test', 'cli', 'hold-chdb.ts'), chdbDir],
    { cwd: repoRoot, stdio: ['ignore', 'pipe', 'inherit'] },
  )
  t.after(() => holder.kill('SIGKILL'))
  await new Promise<void>((resolve, reject) => {
    holder.stdout!.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('holding')) resolve()
    })
    holder.once('exit', (code) => reject(new Error(`the chDB holder exited with ${code}`)))
  })

  const env = {
    ...process.env,
    KAFKA_BROKERS: config.kafkaBrokers.join(','),
    SCHEMA_REGISTRY_URL: config.schemaRegistryUrl,
    REDIS_URL: config.redisUrl,
    CLICKHOUSE_PATH: chdbDir,
    TOPIC_PREFIX: config.topicPrefix,
    KAPPA_NAMESPACE: config.namespace,
    LOG_LEVEL: 'warn',
  }
  const run = (file: string, ...args: string[]) =>
    spawnSync(process.execPath, ['--import', 'tsx', file, ...args], {
      cwd: repoRoot,
      env,
      encoding: 'utf8',
      timeout: 120_000,
    })
  const kappa = (...args: string[]) => run(join(repoRoot, 'bin', 'kappa.js'), ...args)

  // The directory is really held: a second engine on it is refused.
  const second = run(join(repoRoot, 'test', 'support', 'dump-table.ts'), chdbDir, 'SELECT 1')
  assert.notEqual(second.status, 0, 'a second process opened the held chDB directory')
  assert.match(second.stderr, /lock/i)

  const topics = kappa('topics')
  assert.equal(topics.status, 0, `kappa topics failed:\n${topics.stdout}${topics.stderr}`)
  const admin = platform.kafka.admin()
  await admin.connect()
  t.after(() => admin.disconnect())
  const created = await admin.listTopics()
  assert.ok(created.includes(`${config.topicPrefix}olist.order_status`), 'no bronze topic made')

  const data = join(work, 'olist')
  const generated = kappa('generate', '--scale', '0.002', '--seed', '3', '--out', data)
  assert.equal(generated.status, 0, generated.stderr)
  const simulated = kappa('simulate', '--dir', data, '--max')
  assert.equal(
    simulated.status,
    0,
    `kappa simulate failed:\n${simulated.stdout}${simulated.stderr}`,
  )
  assert.match(simulated.stdout, /\d+ events in /)
  const offsets = await admin.fetchTopicOffsets(`${config.topicPrefix}olist.order_status`)
  assert.ok(
    offsets.some((o) => Number(o.high) > 0),
    'kappa simulate published nothing to olist.order_status',
  )
})
