/**
 * `sketch-accuracy`: how well the top-K job's counters find the top 10 and top 100, against
 * exact counts, against the count-min sketch job versions up to 4 kept, and against
 * ClickHouse's own `topK` (Filtered Space-Saving) at its default and given the same bytes.
 * Inputs: a Zipf(1.1) stream over 1M keys, and units sold per product per calendar month of
 * generated Olist data at scale 1 and 10, each month a bucket as in the top-K stream job.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { drainPending } from 'chdb'
import { type ClickHouseClient, createClickHouse } from '../core/clickhouse.ts'
import { Random } from '../data/generate/random.ts'
import { generateOlist } from '../data/index.ts'
import {
  bucketStart,
  CANDIDATE_CAPACITY,
  COUNTER_SHAPE,
  emptySketch,
  SKETCH_SEED,
  sketchSizing,
  TOP_K,
} from '../streams/topk/buckets.ts'
import {
  BucketCounter,
  type BucketSummary,
  type CounterShape,
  rankSummaries,
} from '../streams/topk/counter/index.ts'
import { murmur3_32 } from '../streams/topk/sketch/hash.ts'
import { CountMinSketch, candidateCapacityFor } from '../streams/topk/sketch/index.ts'

type Print = (line: string) => void

const DISTINCT_KEYS = 1_000_000
const EVENTS = 5_000_000
const ZIPF_S = 1.1
const STREAM_SEED = 20240601
const OLIST_SEED = 20240601
const OLIST_SCALES = [1, 10] as const
/** Partitions the job's merged row splits each stream over, as a 3-partition topic would. */
const PARTITIONS = 3
/** The short list scored besides the rollup's top TOP_K. */
const HEAD_K = 10
/** Orders that never ship: the stream job retracts them, so their items are not units sold. */
const UNSOLD_STATUSES = new Set(['canceled', 'unavailable'])
/** ClickHouse's topK load factor when none is given: k·3 counters. */
const CLICKHOUSE_DEFAULT_LOAD_FACTOR = 3
const INSERT_BATCH = 500_000

const progress = (message: string) => process.stderr.write(`[sketch-accuracy] ${message}\n`)

/** Runs a long step with its duration on stderr, so a slow run shows where it is. */
async function step<T>(what: string, work: () => T | Promise<T>): Promise<T> {
  progress(`${what} …`)
  const began = performance.now()
  const result = await work()
  progress(`${what}: ${((performance.now() - began) / 1000).toFixed(1)} s`)
  return result
}

// ---------------------------------------------------------------------------------------------
// Inputs

/** One bucket's events: a key per unit, in the order the stream job would see them. */
interface Bucket {
  readonly label: string
  readonly events: readonly string[]
  /** The partition of each event: its order's, or drawn at random for the Zipf stream. */
  readonly partitions: Uint8Array
}

interface Input {
  readonly name: string
  readonly description: string
  readonly buckets: readonly Bucket[]
}

/** Ranks drawn from Zipf(s) over [0, n) by inverting the CDF with a binary search. */
function zipfStream(n: number, s: number, events: number, seed: number): Int32Array {
  const cdf = new Float64Array(n)
  let sum = 0
  for (let rank = 0; rank < n; rank++) {
    sum += 1 / (rank + 1) ** s
    cdf[rank] = sum
  }
  const random = new Random(seed)
  const ranks = new Int32Array(events)
  for (let i = 0; i < events; i++) {
    const target = random.next() * sum
    let lo = 0
    let hi = n - 1
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if (cdf[mid]! < target) lo = mid + 1
      else hi = mid
    }
    ranks[i] = lo
  }
  return ranks
}

function zipfInput(): Input {
  const keys = Array.from({ length: DISTINCT_KEYS }, (_, rank) => `product-${rank.toString(36)}`)
  const ranks = zipfStream(DISTINCT_KEYS, ZIPF_S, EVENTS, STREAM_SEED)
  const random = new Random(STREAM_SEED + 1)
  return {
    name: 'zipf',
    description: `Zipf s=${ZIPF_S}, ${DISTINCT_KEYS.toLocaleString('en')} keys, ${EVENTS.toLocaleString('en')} events`,
    buckets: [
      {
        label: 'all',
        events: Array.from(ranks, (rank) => keys[rank]!),
        partitions: Uint8Array.from(ranks, () => random.int(0, PARTITIONS - 1)),
      },
    ],
  }
}

const encoder = new TextEncoder()
/** A partition per order, as the job's topics spread orders over partitions. */
const partitionOf = (orderId: string) => murmur3_32(encoder.encode(orderId), 0) % PARTITIONS

const literal = (text: string) => `'${text.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`
/** A CSV file as ClickHouse reads it, every column text, as the loader reads fields. */
const csvFile = (path: string, columns: readonly string[]) =>
  `file(${literal(path)}, 'CSVWithNames', ${literal(columns.map((c) => `${c} String`).join(', '))})`

/**
 * Units sold per product per UTC calendar month of purchase, from Olist data generated at
 * `scale`: one event per order item (an item row is one unit), in purchase-time order, ties in
 * the items file's order. Months with fewer than TOP_K distinct products are skipped: their
 * top TOP_K is every product sold. ClickHouse reads the files: scale 10's 324 MB of CSV take
 * it seconds where a JavaScript CSV parser takes over a minute.
 */
async function olistInput(client: ClickHouseClient, scale: number): Promise<Input> {
  const dir = mkdtempSync(join(tmpdir(), 'kappa-bench-olist-'))
  try {
    await step(`generating Olist scale ${scale}`, () =>
      generateOlist({ scale, seed: OLIST_SEED, outDir: dir }),
    )
    const units = await step(`reading scale ${scale} orders and items`, async () => {
      const orders = csvFile(join(dir, 'olist_orders_dataset.csv'), [
        'order_id',
        'customer_id',
        'order_status',
        'order_purchase_timestamp',
        'order_approved_at',
        'order_delivered_carrier_date',
        'order_delivered_customer_date',
        'order_estimated_delivery_date',
      ])
      const items = csvFile(join(dir, 'olist_order_items_dataset.csv'), [
        'order_id',
        'order_item_id',
        'product_id',
        'seller_id',
        'shipping_limit_date',
        'price',
        'freight_value',
      ])
      const unsold = [...UNSOLD_STATUSES].map(literal).join(', ')
      const result = await client.query({
        query: `
          SELECT toUnixTimestamp64Milli(toDateTime64(o.order_purchase_timestamp, 3, 'UTC')) AS at,
            i.product_id AS key, i.order_id AS order_id
          FROM (SELECT order_id, product_id, rowNumberInAllBlocks() AS line FROM ${items}) AS i
          INNER JOIN (
            SELECT order_id, order_purchase_timestamp FROM ${orders}
            WHERE order_status NOT IN (${unsold})
          ) AS o ON o.order_id = i.order_id
          ORDER BY at, i.line
          SETTINGS max_threads = 1, format_csv_allow_single_quotes = 0,
            input_format_csv_trim_whitespaces = 0`,
        format: 'JSONCompactEachRow',
        clickhouse_settings: { output_format_json_quote_64bit_integers: 0 },
      })
      return result.json<[number, string, string]>()
    })
    const months = new Map<number, { keys: string[]; partitions: number[] }>()
    for (const [at, key, order] of units) {
      const start = bucketStart('month', at)
      const month = months.get(start) ?? { keys: [], partitions: [] }
      month.keys.push(key)
      month.partitions.push(partitionOf(order))
      months.set(start, month)
    }
    const buckets = [...months]
      .filter(([, month]) => new Set(month.keys).size >= TOP_K)
      .map(([start, month]) => ({
        label: new Date(start).toISOString().slice(0, 7),
        events: month.keys,
        partitions: Uint8Array.from(month.partitions),
      }))
    const kept = buckets.reduce((sum, bucket) => sum + bucket.events.length, 0)
    return {
      name: `olist_s${scale}`,
      description:
        `Olist scale ${scale} (seed ${OLIST_SEED}), units sold per product per purchase month (UTC): ` +
        `${kept.toLocaleString('en')} of ${units.length.toLocaleString('en')} units in ${buckets.length} ` +
        `months ${buckets[0]!.label}…${buckets.at(-1)!.label} (${months.size - buckets.length} months with < ${TOP_K} distinct products skipped; ` +
        `canceled and unavailable orders left out)`,
      buckets,
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

// ---------------------------------------------------------------------------------------------
// Ground truth and scoring

interface Truth {
  readonly counts: ReadonlyMap<string, number>
  /** The true top TOP_K, count descending then key ascending. */
  readonly top: readonly string[]
}

function exactCounts(events: readonly string[]): Truth {
  const counts = new Map<string, number>()
  for (const key of events) counts.set(key, (counts.get(key) ?? 0) + 1)
  const top = [...counts]
    .sort(([keyA, a], [keyB, b]) => b - a || (keyA < keyB ? -1 : 1))
    .slice(0, TOP_K)
    .map(([key]) => key)
  return { counts, top }
}

/** What a method answers for one bucket: its ranked short and long lists, and a count per key. */
interface Answer {
  readonly head: readonly string[]
  readonly top: readonly string[]
  estimate(key: string): number
}

interface Scores {
  readonly headPrecision: number
  readonly headRecall: number
  readonly topPrecision: number
  readonly topRecall: number
  readonly maxError: number
  readonly meanError: number
}

/**
 * Answer keys that belong in a true top k. Ties count as hits: monthly Olist counts are small
 * integers, so hundreds of products share the 100th count and any of them is a right answer.
 */
function hits(truth: Truth, answer: readonly string[], k: number): number {
  const threshold = truth.counts.get(truth.top[k - 1]!)!
  return answer.filter((key) => (truth.counts.get(key) ?? 0) >= threshold).length
}

/** Precision and recall at HEAD_K and TOP_K; relative count error over the true top TOP_K. */
function score(truth: Truth, answer: Answer): Scores {
  const headHits = hits(truth, answer.head, HEAD_K)
  const topHits = hits(truth, answer.top, TOP_K)
  const errors = truth.top.map((key) => {
    const count = truth.counts.get(key)!
    return Math.abs(answer.estimate(key) - count) / count
  })
  return {
    headPrecision: headHits / answer.head.length,
    headRecall: headHits / HEAD_K,
    topPrecision: topHits / answer.top.length,
    topRecall: topHits / TOP_K,
    maxError: Math.max(...errors),
    meanError: errors.reduce((sum, e) => sum + e, 0) / errors.length,
  }
}

function sketchAnswer(sketch: CountMinSketch): Answer {
  return {
    head: sketch.topK(HEAD_K).map(({ key }) => key),
    top: sketch.topK(TOP_K).map(({ key }) => key),
    estimate: (key) => sketch.estimate(key),
  }
}

/** What the merge tier would rank from `summaries`: each key's upper bound is its count. */
function counterAnswer(summaries: readonly BucketSummary[]): Answer {
  const { entries } = rankSummaries(summaries, TOP_K)
  const top = entries.map(({ key }) => key)
  return {
    head: top.slice(0, HEAD_K),
    top,
    estimate: (key) => summaries.reduce((sum, summary) => sum + summary.bounds(key).upper, 0),
  }
}

// ---------------------------------------------------------------------------------------------
// Tables

const fraction = (value: number) => value.toFixed(2)
const percent = (value: number) => `${(value * 100).toFixed(3)}%`
const bytes = (value: number) => Math.round(value).toLocaleString('en')

/** Right-aligned columns, except the first `leftAligned` (labels). */
function printTable(print: Print, rows: readonly (readonly string[])[], leftAligned = 0): void {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)))
  for (const row of rows) {
    const cells = row.map((cell, column) =>
      column < leftAligned ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!),
    )
    print(cells.join('  ').trimEnd())
  }
}

// ---------------------------------------------------------------------------------------------
// The CMS configurations on the Zipf stream

interface Config {
  readonly epsilon: number
  readonly delta: number
  readonly conservative: boolean
}

const CONFIGS: readonly Config[] = [
  { epsilon: 0.001, delta: 0.01, conservative: false },
  { epsilon: 0.001, delta: 0.01, conservative: true },
  { epsilon: 0.0001, delta: 0.001, conservative: false },
  { epsilon: 0.0001, delta: 0.001, conservative: true },
]

function printConfigTable(print: Print, input: Input, truth: Truth): void {
  const { events } = input.buckets[0]!
  print(`${input.description}, candidates ${candidateCapacityFor(TOP_K)}`)
  const rows = [
    [
      'ε',
      'δ',
      'update',
      'w×d',
      `P@${HEAD_K}`,
      `R@${HEAD_K}`,
      `P@${TOP_K}`,
      `R@${TOP_K}`,
      'max rel err',
      'mean rel err',
      'ε·N',
      'serialized B',
      'byteSize B',
      'ns/add',
    ],
  ]
  for (const config of CONFIGS) {
    const sketch = CountMinSketch.fromErrorBounds({
      ...config,
      seed: 1,
      candidateCapacity: candidateCapacityFor(TOP_K),
    })
    const started = performance.now()
    for (const key of events) sketch.add(key)
    const nsPerAdd = ((performance.now() - started) * 1e6) / events.length
    const scores = score(truth, sketchAnswer(sketch))
    const update = config.conservative ? 'conservative' : 'plain'
    progress(`  ε=${config.epsilon} ${update}: ${nsPerAdd.toFixed(0)} ns/add`)
    rows.push([
      String(config.epsilon),
      String(config.delta),
      update,
      `${sketch.width}×${sketch.depth}`,
      fraction(scores.headPrecision),
      fraction(scores.headRecall),
      fraction(scores.topPrecision),
      fraction(scores.topRecall),
      percent(scores.maxError),
      percent(scores.meanError),
      String(sketch.errorBound()),
      String(sketch.serialize().length),
      String(sketch.byteSize()),
      nsPerAdd.toFixed(0),
    ])
  }
  printTable(print, rows)
}

// ---------------------------------------------------------------------------------------------
// ClickHouse topK

/** A fresh embedded ClickHouse (chDB) in a temp dir, closed and removed after `work`. */
async function withClickHouse<T>(work: (client: ClickHouseClient) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'kappa-bench-topk-'))
  const client = createClickHouse({ path: dir })
  try {
    return await work(client)
  } finally {
    await client.close()
    // chDB binds one data dir per process; a later bench may open another once this one is gone.
    await drainPending()
    rmSync(dir, { recursive: true, force: true })
  }
}

/**
 * Space-Saving's answer depends on arrival order, so every query reads one thread: a single
 * state sees the events in the sketch's order, with no merge of per-thread partial states
 * (a merge costs accuracy and makes runs differ). This is ClickHouse's best case.
 */
const SINGLE_THREAD = 'SETTINGS max_threads = 1'

/** Loads the events into a Memory table, which a single thread reads back in insertion order. */
async function loadEvents(client: ClickHouseClient, table: string, input: Input): Promise<void> {
  await client.command({
    query: `CREATE TABLE ${table} (bucket UInt32, key String) ENGINE = Memory`,
  })
  let batch: [number, string][] = []
  const flush = async () => {
    await client.insert({ table, values: batch, format: 'JSONCompactEachRow' })
    batch = []
  }
  for (const [index, bucket] of input.buckets.entries()) {
    for (const key of bucket.events) {
      batch.push([index, key])
      if (batch.length === INSERT_BATCH) await flush()
    }
  }
  if (batch.length > 0) await flush()
}

async function queryRows<T>(client: ClickHouseClient, query: string): Promise<T[]> {
  const result = await client.query({ query, format: 'JSONEachRow' })
  return result.json<T>()
}

/** Only the buckets listed, or every bucket. */
const bucketFilter = (buckets?: readonly number[]) =>
  buckets === undefined ? '' : `WHERE bucket IN (${buckets.join(', ')}) `

/**
 * The SQL that measures a topK state per bucket: its serialized bytes, what ClickHouse stores
 * in an AggregatingMergeTree or ships between servers (the counterpart of `serialize()`).
 */
function stateBytesSql(
  table: string,
  k: number,
  loadFactor: number | 'lf',
  buckets?: readonly number[],
): string {
  return (
    `SELECT bucket, length(toString(topKState(${k}, ${loadFactor})(key))) AS bytes ` +
    `FROM ${table} ${bucketFilter(buckets)}GROUP BY bucket ORDER BY bucket ${SINGLE_THREAD}`
  )
}

async function stateBytes(
  client: ClickHouseClient,
  table: string,
  k: number,
  loadFactor: number,
  buckets?: readonly number[],
): Promise<Map<number, number>> {
  const rows = await queryRows<{ bucket: number; bytes: number | string }>(
    client,
    stateBytesSql(table, k, loadFactor, buckets),
  )
  // UInt64 may arrive as a JSON string.
  return new Map(rows.map((row) => [Number(row.bucket), Number(row.bytes)]))
}

/** Runs `query` once per distinct load factor, for the buckets that have it, and joins the rows. */
async function perLoadFactor<T>(
  loadFactors: readonly number[],
  query: (loadFactor: number, buckets: readonly number[]) => Promise<Map<number, T>>,
): Promise<T[]> {
  const byLoadFactor = new Map<number, number[]>()
  loadFactors.forEach((lf, bucket) => {
    byLoadFactor.set(lf, [...(byLoadFactor.get(lf) ?? []), bucket])
  })
  const found = new Map<number, T>()
  for (const [lf, buckets] of byLoadFactor) {
    for (const [bucket, value] of await query(lf, buckets)) found.set(bucket, value)
  }
  return loadFactors.map((_, bucket) => found.get(bucket)!)
}

/**
 * Per bucket, the largest load factor whose topK(TOP_K, lf) state is no larger than that
 * bucket's budget: equal bytes bucket by bucket, since an exact month of a few hundred
 * products takes a few kilobytes and a busy one a hundred. The state grows with lf (more
 * counters, and an alpha map with the next power of two above 6·k·lf slots), so double, then
 * bisect, each step one query for the buckets still open. 0 where even lf 1 is larger.
 */
async function equalBytesLoadFactors(
  client: ClickHouseClient,
  table: string,
  budgets: readonly number[],
): Promise<number[]> {
  const fitting = budgets.map(() => 0)
  const tooLarge = budgets.map(() => 0)
  const judge = async (loadFactor: number, buckets: readonly number[]) => {
    const sizes = await stateBytes(client, table, TOP_K, loadFactor, buckets)
    for (const bucket of buckets) {
      if (sizes.get(bucket)! <= budgets[bucket]!) fitting[bucket] = loadFactor
      else tooLarge[bucket] = loadFactor
    }
  }
  for (let lf = 1; tooLarge.some((t) => t === 0); lf *= 2) {
    await judge(
      lf,
      budgets.flatMap((_, bucket) => (tooLarge[bucket] === 0 ? [bucket] : [])),
    )
  }
  for (;;) {
    const middles = budgets.map((_, b) =>
      tooLarge[b]! - fitting[b]! > 1 ? (fitting[b]! + tooLarge[b]!) >> 1 : 0,
    )
    if (middles.every((middle) => middle === 0)) break
    const byMiddle = new Map<number, number[]>()
    middles.forEach((m, b) => {
      if (m > 0) byMiddle.set(m, [...(byMiddle.get(m) ?? []), b])
    })
    for (const [middle, buckets] of byMiddle) await judge(middle, buckets)
  }
  return fitting
}

/**
 * ClickHouse's answers per bucket: topK(TOP_K, lf) at the bucket's `loadFactors` and
 * topK(HEAD_K, headLoadFactor(lf)). topK(k, lf) keeps k·lf counters and returns the first k;
 * topK(k·lf, 1, 'counts') returns all of the same counters with their counts (upper bounds,
 * like the job's), which gives a count for every tracked key. A key without a counter has
 * no count to report, so it is scored as 0.
 */
async function clickhouseAnswers(
  client: ClickHouseClient,
  table: string,
  loadFactors: readonly number[],
  headLoadFactor: (loadFactor: number) => number,
): Promise<Answer[]> {
  return perLoadFactor(loadFactors, async (lf, buckets) => {
    const rows = await queryRows<{
      bucket: number
      head: string[]
      top: string[]
      counters: { item: string; count: number | string }[]
    }>(
      client,
      `SELECT bucket, topK(${HEAD_K}, ${headLoadFactor(lf)})(key) AS head, ` +
        `topK(${TOP_K}, ${lf})(key) AS top, ` +
        `topK(${TOP_K * lf}, 1, 'counts')(key) AS counters ` +
        `FROM ${table} ${bucketFilter(buckets)}GROUP BY bucket ORDER BY bucket ${SINGLE_THREAD}`,
    )
    return new Map(
      rows.map((row) => {
        const counts = new Map(row.counters.map(({ item, count }) => [item, Number(count)]))
        const answer: Answer = {
          head: row.head,
          top: row.top,
          estimate: (key) => counts.get(key) ?? 0,
        }
        return [Number(row.bucket), answer]
      }),
    )
  })
}

// ---------------------------------------------------------------------------------------------
// Exact vs sketch vs ClickHouse, per input

interface Method {
  readonly label: string
  readonly scores: readonly Scores[]
  readonly serialized: readonly number[]
  readonly inMemory?: readonly number[]
}

/** One value per bucket as "mean (worst)", or just the value when there is one bucket. */
function summarize(
  values: readonly number[],
  worst: 'min' | 'max',
  format: (value: number) => string,
): string {
  if (values.length === 1) return format(values[0]!)
  const mean = values.reduce((sum, value) => sum + value, 0) / values.length
  return `${format(mean)} (${format(worst === 'min' ? Math.min(...values) : Math.max(...values))})`
}

/** The score columns: what each shows, and which end of it is the worst bucket. */
const SCORE_COLUMNS: readonly {
  readonly header: string
  readonly pick: (scores: Scores) => number
  readonly worst: 'min' | 'max'
  readonly format: (value: number) => string
}[] = [
  { header: `P@${HEAD_K}`, pick: (s) => s.headPrecision, worst: 'min', format: fraction },
  { header: `R@${HEAD_K}`, pick: (s) => s.headRecall, worst: 'min', format: fraction },
  { header: `P@${TOP_K}`, pick: (s) => s.topPrecision, worst: 'min', format: fraction },
  { header: `R@${TOP_K}`, pick: (s) => s.topRecall, worst: 'min', format: fraction },
  { header: 'max rel err', pick: (s) => s.maxError, worst: 'max', format: percent },
  { header: 'mean rel err', pick: (s) => s.meanError, worst: 'max', format: percent },
]

function methodRow(method: Method): string[] {
  return [
    method.label,
    ...SCORE_COLUMNS.map(({ pick, worst, format }) =>
      summarize(method.scores.map(pick), worst, format),
    ),
    summarize(method.serialized, 'max', bytes),
    method.inMemory ? summarize(method.inMemory, 'max', bytes) : 'n/a',
  ]
}

/** The month sketch of job versions up to 4, for every bucket. */
function sketchBuckets(input: Input): CountMinSketch[] {
  return input.buckets.map((bucket) => {
    const sketch = emptySketch('month')
    for (const key of bucket.events) sketch.add(key)
    return sketch
  })
}

/**
 * Every bucket counted as the job counts one partition's bucket, or with its events split
 * over PARTITIONS counters as the job's partitions would count them (each event's position
 * in the item log its index).
 */
function countBuckets(input: Input, shape: CounterShape, partitions = 1): BucketCounter[][] {
  return input.buckets.map((bucket) => {
    const counters = Array.from({ length: partitions }, () => new BucketCounter(shape))
    bucket.events.forEach((key, i) => {
      counters[partitions === 1 ? 0 : bucket.partitions[i]!]!.add(key, 1, i)
    })
    return counters
  })
}

const sum = (values: readonly number[]) => values.reduce((total, value) => total + value, 0)

/** A method row from counters per bucket; bytes are the bucket's partials together. */
function counterMethod(
  label: string,
  counters: readonly BucketCounter[][],
  truths: readonly Truth[],
): Method {
  return {
    label,
    scores: counters.map((parts, bucket) => score(truths[bucket]!, counterAnswer(parts))),
    serialized: counters.map((parts) => sum(parts.map((c) => c.serialize().length))),
    inMemory: counters.map((parts) => sum(parts.map((c) => c.byteSize()))),
  }
}

/** Bytes per bucket that ClickHouse's state is sized to, and whose they are. */
interface Budget {
  readonly whose: string
  readonly bytes: readonly number[]
}

/** "27", or "mean 13.4 (1–27)" when the buckets differ. */
function loadFactorText(loadFactors: readonly number[]): string {
  const low = Math.min(...loadFactors)
  const high = Math.max(...loadFactors)
  if (low === high) return String(low)
  return `per bucket, mean ${(sum(loadFactors) / loadFactors.length).toFixed(1)} (${low}–${high})`
}

/**
 * ClickHouse topK at its defaults and at each of `budgets` (per bucket, the largest load
 * factor whose state fits the bucket's budget), plus note lines saying how each was run.
 */
async function clickhouseMethods(
  client: ClickHouseClient,
  input: Input,
  truths: readonly Truth[],
  budgets: readonly Budget[],
): Promise<{ methods: Method[]; notes: string[] }> {
  const table = `${input.name}_events`
  await step(`${input.name}: loading events into ClickHouse`, () =>
    loadEvents(client, table, input),
  )
  const method = async (
    label: string,
    loadFactors: readonly number[],
    headLoadFactor: (loadFactor: number) => number,
  ): Promise<Method> => {
    const answers = await clickhouseAnswers(client, table, loadFactors, headLoadFactor)
    const sizes = await perLoadFactor(loadFactors, (lf, buckets) =>
      stateBytes(client, table, TOP_K, lf, buckets),
    )
    return {
      label,
      scores: answers.map((answer, bucket) => score(truths[bucket]!, answer)),
      serialized: sizes,
    }
  }
  const defaultLf = CLICKHOUSE_DEFAULT_LOAD_FACTOR
  const methods = [
    await method(
      `ClickHouse topK(${HEAD_K})/topK(${TOP_K}), default lf ${defaultLf}`,
      truths.map(() => defaultLf),
      () => defaultLf,
    ),
  ]
  const notes: string[] = []
  for (const { whose, bytes: budget } of budgets) {
    const fitting = await step(`${input.name}: sizing topK to ${whose}'s bytes`, () =>
      equalBytesLoadFactors(client, table, budget),
    )
    // Where even lf 1 takes more, lf 1: ClickHouse then gets more bytes, never fewer.
    const loadFactors = fitting.map((lf) => Math.max(1, lf))
    const over = fitting.filter((lf) => lf === 0).length
    // topK(HEAD_K, …) gets the same TOP_K·lf counters, hence the same bytes.
    methods.push(
      await method(
        `ClickHouse topK(${TOP_K}, lf ${loadFactorText(loadFactors)}), ${whose}'s bytes`,
        loadFactors,
        (lf) => (TOP_K / HEAD_K) * lf,
      ),
    )
    if (over > 0) {
      notes.push(
        `${whose}'s bytes: lf 1 in ${over} bucket(s) where even lf 1 takes more than ${whose}`,
      )
    }
  }
  const headBytes = await stateBytes(client, table, HEAD_K, defaultLf)
  notes.unshift(
    `ClickHouse default: P/R@${HEAD_K} from topK(${HEAD_K}) (${HEAD_K * defaultLf} counters, ` +
      `≤ ${bytes(Math.max(...headBytes.values()))} B), the rest from topK(${TOP_K}) (${TOP_K * defaultLf} counters)`,
    "ClickHouse at another's bytes: per bucket, the largest lf whose state is no larger than that bucket's serialized bytes, measured by",
    `  ${stateBytesSql(table, TOP_K, 'lf')}`,
  )
  return { methods, notes }
}

const { budget, width, depth, capacity } = COUNTER_SHAPE
const JOB_LABEL = `job: exact→sketched at ${budget / 1024} KiB (filter ${width}×${depth}, ${capacity} tracked)`

/**
 * Exact counts, the count-min sketch of job versions up to 4, the job's counters (one
 * partition, and PARTITIONS merged) and ClickHouse topK on one input, as one table.
 */
async function compare(
  print: Print,
  client: ClickHouseClient,
  input: Input,
  truths: readonly Truth[],
): Promise<void> {
  const count = `${input.buckets.length} bucket(s)`
  const sketches = await step(`${input.name}: sketching ${count}`, () => sketchBuckets(input))
  const job = await step(`${input.name}: counting ${count} as the job does`, () =>
    counterMethod(JOB_LABEL, countBuckets(input, COUNTER_SHAPE), truths),
  )
  const merged = await step(`${input.name}: counting ${count} in ${PARTITIONS} partitions`, () =>
    counterMethod(
      `job, ${PARTITIONS} partitions merged (bytes: the ${PARTITIONS} partials together)`,
      countBuckets(input, COUNTER_SHAPE, PARTITIONS),
      truths,
    ),
  )
  const exact = await step(`${input.name}: exact counts in format 3`, () =>
    counterMethod(
      'exact (format 3, no budget)',
      countBuckets(input, { ...COUNTER_SHAPE, budget: Number.MAX_SAFE_INTEGER }),
      truths,
    ),
  )
  const cms: Method = {
    label: `CMS of job ≤ v4: ε=${sketchSizing.month.epsilon} δ=${sketchSizing.month.delta} ${sketches[0]!.width}×${sketches[0]!.depth}, ${CANDIDATE_CAPACITY} candidates`,
    scores: sketches.map((sketch, bucket) => score(truths[bucket]!, sketchAnswer(sketch))),
    serialized: sketches.map((sketch) => sketch.serialize().length),
    inMemory: sketches.map((sketch) => sketch.byteSize()),
  }
  const clickhouse = await clickhouseMethods(client, input, truths, [
    { whose: 'the job', bytes: job.serialized },
    { whose: 'the CMS', bytes: cms.serialized },
  ])
  const methods: Method[] = [exact, cms, job, merged, ...clickhouse.methods]

  print('')
  print(input.description)
  if (input.buckets.length > 1) {
    print(`cells: mean over the ${input.buckets.length} months (worst month for that column)`)
  }
  const header = [
    'method',
    ...SCORE_COLUMNS.map((column) => column.header),
    'serialized B/bucket',
    'in-memory B/bucket',
  ]
  printTable(print, [header, ...methods.map(methodRow)], 1)
  for (const note of clickhouse.notes) print(note)
}

/**
 * Sketch top-10/top-100 against exact counts on a Zipf(1.1) stream over 1M keys for four CMS
 * configurations; then exact vs the old month sketch vs the job's counters vs ClickHouse topK
 * on that stream and on monthly Olist sales at scale 1 and 10.
 */
export async function runSketchAccuracyBench(print: Print): Promise<void> {
  const zipf = await step('drawing the Zipf stream', zipfInput)
  const zipfTruth = await step('exact Zipf counts', () => exactCounts(zipf.buckets[0]!.events))
  await step('CMS configurations on the Zipf stream', () =>
    printConfigTable(print, zipf, zipfTruth),
  )

  print('')
  print(
    `Exact counts vs the month sketch of job versions up to 4 (seed 0x${SKETCH_SEED.toString(16)}, not 1 as above) vs ` +
      "the job's counters vs ClickHouse topK (Filtered Space-Saving), read by one thread in arrival order.",
  )
  print(
    `P/R: a key tied with the k-th true count is a hit. Relative error: over the true top ${TOP_K}; ` +
      "the job's count is its upper bound, ClickHouse's its counter's (topK(k·lf, 1, 'counts')), 0 for an untracked key.",
  )
  print(
    'Serialized: what a partition writes to Redis and topk_partials (sketch format 3; formats 1-2 for the CMS), ' +
      "and ClickHouse's topKState; in memory: the counter's or sketch's own estimate of its heap.",
  )
  await withClickHouse(async (client) => {
    await compare(print, client, zipf, [zipfTruth])
    for (const scale of OLIST_SCALES) {
      const olist = await olistInput(client, scale)
      const truths = olist.buckets.map((bucket) => exactCounts(bucket.events))
      await compare(print, client, olist, truths)
    }
  })
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await runSketchAccuracyBench(console.log)
}
