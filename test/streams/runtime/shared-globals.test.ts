import assert from 'node:assert/strict'
import { join } from 'node:path'
import { test } from 'node:test'
import { pathToFileURL } from 'node:url'
import { Worker } from 'node:worker_threads'
import type { Customer, Geolocation } from '../../../schemas/types.generated.ts'
import { SharedGlobalTables } from '../../../streams/runtime/shared-globals.ts'

const customer = (id: string, city: string): Customer => ({
  customer_id: id,
  customer_unique_id: `u-${id}`,
  zip_code_prefix: '01310',
  city,
  state: 'SP',
  ingest_time: 1_520_000_000_000,
})

test('the latest value of each key, across index rebuilds', () => {
  const tables = new SharedGlobalTables()
  for (let i = 0; i < 20_000; i++) tables.put('customer', `c${i}`, customer(`c${i}`, `city ${i}`))
  tables.put('customer', 'c7', customer('c7', 'moved'))
  assert.equal(tables.size('customer'), 20_000)
  assert.equal(tables.lookups.customer('c7')?.city, 'moved')
  assert.equal(tables.lookups.customer('c19999')?.city, 'city 19999')
  assert.deepEqual({ ...tables.lookups.customer('c3') }, customer('c3', 'city 3'))
  assert.equal(tables.lookups.customer('nobody'), undefined)
  assert.equal(tables.lookups.seller('c3'), undefined, 'tables are separate')
})

test('a value replaced after it was read is read again, not served from the cache', () => {
  const tables = new SharedGlobalTables()
  const geo = (lat: number): Geolocation => ({
    zip_code_prefix: '13023',
    lat,
    lng: -47,
    city: 'campinas',
    state: 'SP',
    ingest_time: 0,
  })
  tables.put('geolocation', '13023', geo(-22.9))
  assert.equal(tables.lookups.geolocation('13023')?.lat, -22.9)
  tables.put('geolocation', '13023', geo(-23.1))
  assert.equal(tables.lookups.geolocation('13023')?.lat, -23.1)
})

test('keys outside Latin-1 are kept whole', () => {
  const tables = new SharedGlobalTables()
  tables.put('customer', 'cliente-ñ-東京', customer('cliente-ñ-東京', 'tóquio'))
  assert.equal(tables.lookups.customer('cliente-ñ-東京')?.city, 'tóquio')
  assert.equal(tables.lookups.customer('cliente-ñ-東'), undefined)
})

test('another thread reads what this one wrote, and what it writes later', async () => {
  const tables = new SharedGlobalTables()
  for (let i = 0; i < 5_000; i++) tables.put('customer', `c${i}`, customer(`c${i}`, `city ${i}`))
  const worker = new Worker(join(import.meta.dirname, '..', '..', 'support', 'ts-worker.mjs'), {
    workerData: {
      module: pathToFileURL(join(import.meta.dirname, 'shared-globals-reader.ts')).href,
      buffers: tables.buffers,
    },
    execArgv: [],
  })
  const ask = (key: string) =>
    new Promise<unknown>((resolve, reject) => {
      worker.once('message', resolve)
      worker.once('error', reject)
      worker.postMessage(key)
    })
  try {
    assert.equal(await ask('c4321'), 'city 4321')
    // Past the index's first rebuild and the arena's first growth, while the reader holds them.
    for (let i = 5_000; i < 40_000; i++)
      tables.put('customer', `c${i}`, customer(`c${i}`, `city ${i}`))
    assert.equal(await ask('c39999'), 'city 39999')
    assert.equal(await ask('c12'), 'city 12')
    assert.equal(await ask('missing'), null)
  } finally {
    await worker.terminate()
  }
})
