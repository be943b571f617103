/**
 * `sketch-accuracy`: how well the count-min sketch finds the top 10 and top 100, against exact
 * counts and against ClickHouse's own `topK` (Filtered Space-Saving) given about the same bytes.
 * Two inputs: a Zipf(1.1) stream over 1M keys, and units sold per product per calendar month of
 * generated Olist data (scale 1), each month a bucket as in the top-K stream job.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { drainPending } from 'chdb'
import { parse } from 'csv-parse/sync'
import { type ClickHouseClient, createClickHouse } from '../core/clickhouse.ts'
import { Random } from '../data/generate/random.ts'
import { generateOlist, parseTimestamp } from '../data/index.ts'
import {
  bucketStart,
  CANDIDATE_CAPACITY,
  emptySketch,
  SKETCH_SEED,
  sketchSizing,
  TOP_K,
} from '../streams/topk/buckets.ts'
import { CountMinSketch, candidateCapacityFor } from '../streams/topk/sketch/index.ts'

type Print = (line: string) => void

const DISTINCT_KEYS = 1_000_000
const EVENTS = 5_000_000
const ZIPF_S = 1.1
const STREAM_SEED = 20240601
const OLIST_SEED = 20240601
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
  return {
    name: 'zipf',
    description: `Zipf s=${ZIPF_S}, ${DISTINCT_KEYS.toLocaleString('en')} keys, ${EVENTS.toLocaleString('en')} events`,
    buckets: [{ label: 'all', events: Array.from(ranks, (rank) => keys[rank]!) }],
  }
}

type CsvRow = Record<string, string>

function readCsv(path: string): CsvRow[] {
  return parse<CsvRow>(readFileSync(path), { columns: true })
}

/**
 * Units sold per product per UTC calendar month of purchase, from Olist data generated at
 * scale 1: one event per order item (an item row is one unit), in purchase-time order. Months
 * with fewer than TOP_K distinct products are skipped: their top TOP_K is every product sold.
 */
async function olistInput(): Promise<Input> {
  const dir = mkdtempSync(join(tmpdir(), 'kappa-bench-olist-'))
  try {
    await step('generating Olist scale 1', () =>
      generateOlist({ scale: 1, seed: OLIST_SEED, outDir: dir }),
    )
    const { orders, items } = await step('reading orders and items', () => ({
      orders: readCsv(join(dir, 'olist_orders_dataset.csv')),
      items: readCsv(join(dir, 'olist_order_items_dataset.csv')),
    }))
    const purchasedAt = new Map<string, number>()
    for (const order of orders) {
      if (UNSOLD_STATUSES.has(order.order_status!)) continue
      purchasedAt.set(order.order_id!, parseTimestamp(order.order_purchase_timestamp!)!)
    }
    const units = items
      .filter((item) => purchasedAt.has(item.order_id!))
      .map((item) => ({ at: purchasedAt.get(item.order_id!)!, key: item.product_id! }))
      .sort((a, b) => a.at - b.at)
    const months = new Map<number, string[]>()
    for (const { at, key } of units) {
      const start = bucketStart('month', at)
      const events = months.get(start) ?? []
      events.push(key)
      months.set(start, events)
    }
    const buckets = [...months]
      .filter(([, events]) => new Set(events).size >= TOP_K)
      .map(([start, events]) => ({ label: new Date(start).toISOString().slice(0, 7), events }))
    const kept = buckets.reduce((sum, bucket) => sum + bucket.events.length, 0)
    return {
      name: 'olist',
      description:
        `Olist scale 1 (seed ${OLIST_SEED}), units sold per product per purchase month (UTC): ` +
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

function exactAnswer(truth: Truth): Answer {
  return {
    head: truth.top.slice(0, HEAD_K),
    top: truth.top,
    estimate: (key) => truth.counts.get(key) ?? 0,
  }
}

/** An exact key → count table in the sketch's wire style: u32 length, UTF-8 key, f64 count. */
function exactBytes(truth: Truth): number {
  let bytes = 0
  for (const key of truth.counts.keys()) bytes += 4 + Buffer.byteLength(key) + 8
  return bytes
}

function sketchAnswer(sketch: CountMinSketch): Answer {
  return {
    head: sketch.topK(HEAD_K).map(({ key }) => key),
    top: sketch.topK(TOP_K).map(({ key }) => key),
    estimate: (key) => sketch.estimate(key),
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

/**
 * The SQL that measures a topK state per bucket: its serialized bytes, what ClickHouse stores
 * in an AggregatingMergeTree or ships between servers (the counterpart of `serialize()`).
 */
function stateBytesSql(table: string, k: number, loadFactor: number): string {
  return (
    `SELECT bucket, length(toString(topKState(${k}, ${loadFactor})(key))) AS bytes ` +
    `FROM ${table} GROUP BY bucket ORDER BY bucket ${SINGLE_THREAD}`
  )
}

async function stateBytes(
  client: ClickHouseClient,
  table: string,
  k: number,
  loadFactor: number,
): Promise<number[]> {
  const rows = await queryRows<{ bytes: number | string }>(
    client,
    stateBytesSql(table, k, loadFactor),
  )
  // UInt64 may arrive as a JSON string.
  return rows.map((row) => Number(row.bytes))
}

/**
 * The largest load factor whose topK(TOP_K, lf) state is, in every bucket, no larger than our
 * serialized sketch of that bucket. The state grows with lf (more counters, and an alpha map
 * with the next power of two above 6·k·lf slots), so double, then bisect.
 */
async function equalMemoryLoadFactor(
  client: ClickHouseClient,
  table: string,
  budgets: readonly number[],
): Promise<number> {
  const fits = async (loadFactor: number) => {
    const sizes = await stateBytes(client, table, TOP_K, loadFactor)
    progress(`  topK(${TOP_K}, ${loadFactor}): largest state ${bytes(Math.max(...sizes))} B`)
    return sizes.every((size, bucket) => size <= budgets[bucket]!)
  }
  let fitting = 0
  let tooLarge = 1
  while (await fits(tooLarge)) {
    fitting = tooLarge
    tooLarge *= 2
  }
  while (tooLarge - fitting > 1) {
    const middle = (fitting + tooLarge) >> 1
    if (await fits(middle)) fitting = middle
    else tooLarge = middle
  }
  if (fitting === 0) throw new Error(`even topK(${TOP_K}, 1) outgrows the sketch`)
  return fitting
}

/** Load factors of the topK(HEAD_K, …) and topK(TOP_K, …) calls. */
interface ClickHouseShape {
  readonly headLoadFactor: number
  readonly topLoadFactor: number
}

/**
 * ClickHouse's answers per bucket. topK(k, lf) keeps k·lf counters and returns the first k;
 * topK(k·lf, 1, 'counts') returns all of the same counters with their counts (upper bounds,
 * like the sketch's), which gives a count for every tracked key. A key without a counter has
 * no count to report, so it is scored as 0.
 */
async function clickhouseAnswers(
  client: ClickHouseClient,
  table: string,
  shape: ClickHouseShape,
): Promise<Answer[]> {
  const capacity = TOP_K * shape.topLoadFactor
  const rows = await queryRows<{
    head: string[]
    top: string[]
    counters: { item: string; count: number | string }[]
  }>(
    client,
    `SELECT bucket, topK(${HEAD_K}, ${shape.headLoadFactor})(key) AS head, ` +
      `topK(${TOP_K}, ${shape.topLoadFactor})(key) AS top, ` +
      `topK(${capacity}, 1, 'counts')(key) AS counters ` +
      `FROM ${table} GROUP BY bucket ORDER BY bucket ${SINGLE_THREAD}`,
  )
  return rows.map((row) => {
    const counts = new Map(row.counters.map(({ item, count }) => [item, Number(count)]))
    return { head: row.head, top: row.top, estimate: (key) => counts.get(key) ?? 0 }
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

/** The stream job's month sketch of every bucket. */
function sketchBuckets(input: Input): CountMinSketch[] {
  return input.buckets.map((bucket) => {
    const sketch = emptySketch('month')
    for (const key of bucket.events) sketch.add(key)
    return sketch
  })
}

/**
 * ClickHouse topK at its defaults and at the bytes of our sketches (`budgets`, per bucket),
 * plus note lines saying how each was run.
 */
async function clickhouseMethods(
  client: ClickHouseClient,
  input: Input,
  truths: readonly Truth[],
  budgets: readonly number[],
): Promise<{ methods: Method[]; notes: string[] }> {
  const table = `${input.name}_events`
  await step(`${input.name}: loading events into ClickHouse`, () =>
    loadEvents(client, table, input),
  )
  const loadFactor = await step(`${input.name}: sizing topK to the sketch's bytes`, () =>
    equalMemoryLoadFactor(client, table, budgets),
  )
  const method = async (label: string, shape: ClickHouseShape): Promise<Method> => {
    const answers = await clickhouseAnswers(client, table, shape)
    return {
      label,
      scores: answers.map((answer, bucket) => score(truths[bucket]!, answer)),
      serialized: await stateBytes(client, table, TOP_K, shape.topLoadFactor),
    }
  }
  const defaultLf = CLICKHOUSE_DEFAULT_LOAD_FACTOR
  const methods = [
    await method(`ClickHouse topK(${HEAD_K})/topK(${TOP_K}), default lf ${defaultLf}`, {
      headLoadFactor: defaultLf,
      topLoadFactor: defaultLf,
    }),
    // topK(HEAD_K, …) gets the same TOP_K·lf counters, hence the same bytes.
    await method(
      `ClickHouse topK(${TOP_K}, ${loadFactor}) = ${TOP_K * loadFactor} counters, equal bytes`,
      { headLoadFactor: (TOP_K / HEAD_K) * loadFactor, topLoadFactor: loadFactor },
    ),
  ]
  const headBytes = await stateBytes(client, table, HEAD_K, defaultLf)
  const notes = [
    `ClickHouse default: P/R@${HEAD_K} from topK(${HEAD_K}) (${HEAD_K * defaultLf} counters, ` +
      `≤ ${bytes(Math.max(...headBytes))} B), the rest from topK(${TOP_K}) (${TOP_K * defaultLf} counters)`,
    'ClickHouse equal bytes: the largest lf whose state is ≤ sketch.serialize() in every bucket, by',
    `  ${stateBytesSql(table, TOP_K, loadFactor)}`,
  ]
  return { methods, notes }
}

/** Exact counts, the stream job's sketch and ClickHouse topK on one input, as one table. */
async function compare(
  print: Print,
  client: ClickHouseClient,
  input: Input,
  truths: readonly Truth[],
): Promise<void> {
  const sketches = await step(`${input.name}: sketching ${input.buckets.length} bucket(s)`, () =>
    sketchBuckets(input),
  )
  const serialized = sketches.map((sketch) => sketch.serialize().length)
  const clickhouse = await clickhouseMethods(client, input, truths, serialized)
  const { epsilon, delta } = sketchSizing.month
  const { width, depth } = sketches[0]!
  const methods: Method[] = [
    {
      label: 'exact',
      scores: truths.map((truth) => score(truth, exactAnswer(truth))),
      serialized: truths.map(exactBytes),
    },
    {
      label: `CMS ε=${epsilon} δ=${delta} ${width}×${depth}, ${CANDIDATE_CAPACITY} candidates`,
      scores: sketches.map((sketch, bucket) => score(truths[bucket]!, sketchAnswer(sketch))),
      serialized,
      inMemory: sketches.map((sketch) => sketch.byteSize()),
    },
    ...clickhouse.methods,
  ]

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
 * configurations; then exact vs the stream job's month sketch vs ClickHouse topK on that stream
 * and on monthly Olist sales.
 */
export async function runSketchAccuracyBench(print: Print): Promise<void> {
  const zipf = await step('drawing the Zipf stream', zipfInput)
  const zipfTruth = await step('exact Zipf counts', () => exactCounts(zipf.buckets[0]!.events))
  await step('CMS configurations on the Zipf stream', () =>
    printConfigTable(print, zipf, zipfTruth),
  )
  const olist = await olistInput()
  const olistTruths = olist.buckets.map((bucket) => exactCounts(bucket.events))

  print('')
  print(
    `Exact counts vs the top-K job's month sketch (seed 0x${SKETCH_SEED.toString(16)}, not 1 as above) vs ` +
      'ClickHouse topK (Filtered Space-Saving), read by one thread in arrival order.',
  )
  print(
    `P/R: a key tied with the k-th true count is a hit. Relative error: over the true top ${TOP_K}; ` +
      "ClickHouse's count is its counter's (topK(k·lf, 1, 'counts')), 0 for an untracked key.",
  )
  await withClickHouse(async (client) => {
    await compare(print, client, zipf, [zipfTruth])
    await compare(print, client, olist, olistTruths)
  })
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await runSketchAccuracyBench(console.log)
}
