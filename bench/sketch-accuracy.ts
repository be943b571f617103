import { pathToFileURL } from 'node:url'
import { Random } from '../data/generate/random.ts'
import { CountMinSketch, candidateCapacityFor } from '../streams/topk/sketch/index.ts'

const DISTINCT_KEYS = 1_000_000
const EVENTS = 5_000_000
const ZIPF_S = 1.1
const STREAM_SEED = 20240601

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

function overlap(a: readonly string[], b: readonly string[]): number {
  const set = new Set(b)
  return a.filter((key) => set.has(key)).length
}

/** Sketch top-10/top-100 against exact counts on a Zipf(1.1) stream over 1M keys. */
export async function runSketchAccuracyBench(print: (line: string) => void): Promise<void> {
  const keys = Array.from({ length: DISTINCT_KEYS }, (_, rank) => `product-${rank.toString(36)}`)
  const ranks = zipfStream(DISTINCT_KEYS, ZIPF_S, EVENTS, STREAM_SEED)
  const exact = new Float64Array(DISTINCT_KEYS)
  for (const rank of ranks) exact[rank]! += 1
  const truth = Array.from(exact.keys())
    .sort((a, b) => exact[b]! - exact[a]! || (keys[a]! < keys[b]! ? -1 : 1))
    .slice(0, 100)
    .map((rank) => keys[rank]!)
  const exactOf = new Map(truth.map((key) => [key, exact[keys.indexOf(key)]!]))

  print(
    `Zipf s=${ZIPF_S}, ${DISTINCT_KEYS.toLocaleString('en')} keys, ${EVENTS.toLocaleString('en')} events, candidates ${candidateCapacityFor(100)}`,
  )
  const header = [
    'ε',
    'δ',
    'update',
    'w×d',
    'P@10',
    'R@10',
    'P@100',
    'R@100',
    'max rel err',
    'mean rel err',
    'ε·N',
    'serialized B',
    'byteSize B',
    'ns/add',
  ]
  const rows: string[][] = [header]
  for (const config of CONFIGS) {
    const sketch = CountMinSketch.fromErrorBounds({
      ...config,
      seed: 1,
      candidateCapacity: candidateCapacityFor(100),
    })
    const started = performance.now()
    for (const rank of ranks) sketch.add(keys[rank]!)
    const nsPerAdd = ((performance.now() - started) * 1e6) / EVENTS
    const top10 = sketch.topK(10).map(({ key }) => key)
    const top100 = sketch.topK(100).map(({ key }) => key)
    const errors = truth.map((key) => {
      const count = exactOf.get(key)!
      return Math.abs(sketch.estimate(key) - count) / count
    })
    const hits10 = overlap(top10, truth.slice(0, 10))
    const hits100 = overlap(top100, truth)
    rows.push([
      String(config.epsilon),
      String(config.delta),
      config.conservative ? 'conservative' : 'plain',
      `${sketch.width}×${sketch.depth}`,
      (hits10 / top10.length).toFixed(2),
      (hits10 / 10).toFixed(2),
      (hits100 / top100.length).toFixed(2),
      (hits100 / 100).toFixed(2),
      `${(Math.max(...errors) * 100).toFixed(3)}%`,
      `${((errors.reduce((sum, e) => sum + e, 0) / errors.length) * 100).toFixed(3)}%`,
      String(sketch.errorBound()),
      String(sketch.serialize().length),
      String(sketch.byteSize()),
      nsPerAdd.toFixed(0),
    ])
  }
  const widths = header.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)))
  for (const row of rows)
    print(row.map((cell, column) => cell.padStart(widths[column]!)).join('  '))
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await runSketchAccuracyBench(console.log)
}
