import assert from 'node:assert/strict'
import { test } from 'node:test'
import { isPlatformError } from '../../../core/errors.ts'
import { ErrorRateBreaker } from '../../../streams/runtime/error-rate-breaker.ts'

test('stays closed below the threshold and before minRecords', () => {
  const breaker = new ErrorRateBreaker({ window: 100, maxErrorRate: 0.2, minRecords: 20 })
  assert.equal(breaker.record(0, 5), undefined, 'too few records for a verdict')
  assert.equal(breaker.record(80, 10), undefined, '15 of 95 is under 20%')
})

test('trips when the dead-letter share of the window passes the threshold, and says why', () => {
  const breaker = new ErrorRateBreaker({ window: 100, maxErrorRate: 0.2, minRecords: 20 })
  breaker.record(90, 0)
  assert.equal(breaker.record(0, 10), undefined, '10 of 100')
  const reason = breaker.record(0, 15)
  assert.match(reason ?? '', /25 of the last 100 records were dead-lettered \(25\.0% > 20\.0%\)/)
  assert.equal(breaker.record(100, 0), reason, 'stays tripped until reset')
  breaker.reset()
  assert.equal(breaker.tripped, undefined)
})

test('old outcomes leave the window', () => {
  const breaker = new ErrorRateBreaker({ window: 10, maxErrorRate: 0.5, minRecords: 10 })
  breaker.record(5, 5)
  assert.equal(breaker.record(10, 0), undefined, 'the 5 failures slid out')
})

test('bad configuration fails at construction', () => {
  assert.throws(
    () => new ErrorRateBreaker({ maxErrorRate: 0 }),
    (e) => isPlatformError(e, 'CONFIG_INVALID'),
  )
  assert.throws(
    () => new ErrorRateBreaker({ window: 10, minRecords: 20 }),
    (e) => isPlatformError(e, 'CONFIG_INVALID'),
  )
})
