/**
 * What Grafana and the ClickHouse plugin do to a panel's SQL before ClickHouse runs it, as
 * ops/grafana/check emulates it for the panel tests: template variables in each format, then
 * the plugin's macros (expected strings from grafana-clickhouse-datasource v4's macros.go).
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { expandClickHouseMacros } from '../../ops/grafana/check/clickhouse-macros.ts'
import {
  interpolateVariables,
  referencedVariables,
  unformattedReferences,
} from '../../ops/grafana/check/template-variables.ts'

const time = {
  from: new Date(1_415_792_726_000),
  to: new Date(1_447_328_726_371),
  intervalMs: 30_500,
}

test('time macros expand to whole UTC seconds, milliseconds or dates', () => {
  assert.equal(
    expandClickHouseMacros('WHERE $__timeFilter(time) AND x < $__toTime', time),
    'WHERE time >= toDateTime(1415792726) AND time <= toDateTime(1447328726) AND x < toDateTime(1447328726)',
  )
  assert.equal(
    expandClickHouseMacros('$__timeFilter_ms(t) OR $__fromTime_ms < $__fromTime', time),
    't >= fromUnixTimestamp64Milli(1415792726000) AND t <= fromUnixTimestamp64Milli(1447328726371) OR fromUnixTimestamp64Milli(1415792726000) < toDateTime(1415792726)',
  )
  assert.equal(
    expandClickHouseMacros('$__dateFilter(d)', time),
    "d >= toDate('2014-11-12') AND d <= toDate('2015-11-12')",
  )
  assert.equal(
    expandClickHouseMacros('$__dt(d, t)', time),
    "(d >= toDate('2014-11-12') AND d <= toDate('2015-11-12')) AND (t >= toDateTime(1415792726) AND t <= toDateTime(1447328726))",
  )
})

test('interval macros use whole seconds, at least one', () => {
  assert.equal(
    expandClickHouseMacros('SELECT $__timeInterval(toStartOfDay(at)), $__interval_s', time),
    'SELECT toStartOfInterval(toDateTime(toStartOfDay(at)), INTERVAL 30 second), 30',
  )
  assert.equal(expandClickHouseMacros('$__interval_s', { ...time, intervalMs: 200 }), '1')
})

test('macros check their arguments, and unknown ones are refused', () => {
  assert.throws(() => expandClickHouseMacros('$__timeFilter(a, b)', time), /expected 1 argument/)
  assert.throws(() => expandClickHouseMacros('$__timeFilter(a', time), /missing close bracket/)
  assert.throws(() => expandClickHouseMacros('$__timeGroup(a, 1h)', time), /not a macro/)
})

test('variables: formats as Grafana applies them, the plugin formatting bare references', () => {
  const values = { one: "it's", many: ['a', "b'c"] }
  assert.equal(interpolateVariables(`$one \${one}`, values), "it's it's")
  assert.equal(interpolateVariables('IN ($many)', values), "IN ('a','b'c')")
  assert.equal(interpolateVariables(`\${many:singlequote}`, values), "'a','b\\'c'")
  assert.equal(interpolateVariables(`\${many:sqlstring}`, values), "'a','b''c'")
  assert.equal(interpolateVariables(`\${one:sqlstring}`, values), "'it''s'")
  assert.equal(interpolateVariables(`\${many:csv} [[many:pipe]]`, values), "a,b'c a|b'c")
  assert.equal(interpolateVariables(`\${many:doublequote}`, values), '"a","b\'c"')
  assert.equal(
    interpolateVariables('$__timeFilter(x) $missing', values),
    '$__timeFilter(x) $missing',
  )
  assert.throws(() => interpolateVariables(`\${many:lucene}`, values), /not supported/)
})

test('variable references are found with their formats', () => {
  const sql = `WHERE a IN (\${many:singlequote}) AND b = '$one' AND $__timeFilter(t) AND c IN ($many)`
  assert.deepEqual(referencedVariables(sql), ['many', 'one', '__timeFilter', 'many'])
  assert.equal(unformattedReferences(sql, 'many'), 1)
  assert.equal(unformattedReferences(sql, 'one'), 1)
})
