import { execFile } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import type { Platform } from '../core/platform.ts'

/**
 * What the broker can deliver on this machine, the baseline the jobs' rate is divided by. One
 * read of the bronze topics takes about a second, where JIT warm-up and the page cache move a
 * single run 2-3x; so the topics are copied several times over into one topic (Kafka's own
 * clients, seconds) of at least `MIN_RECORDS`, which Kafka's ConsumerPerformance reads whole,
 * three times: min, median and max. Beside it, the same-client ceiling: a kafkajs consumer that
 * only fetches the same topic, what the jobs' own client can move.
 */
export const MIN_RECORDS = 5_000_000
const RUNS = 3
const root = fileURLToPath(new URL('..', import.meta.url))
const libs = join(root, '.cache', 'kafka', 'libs', '*')
const run = promisify(execFile)

export interface RateStats {
  readonly records: number
  /** Records per second of each run, fastest first. */
  readonly rates: readonly number[]
  readonly min: number
  readonly median: number
  readonly max: number
}

export interface RawReadBaseline {
  readonly topic: string
  readonly copies: number
  readonly consumerPerformance: RateStats
  readonly kafkajs: RateStats
}

const statsOf = (records: number, rates: number[]): RateStats => {
  const sorted = [...rates].sort((a, b) => b - a)
  return {
    records,
    rates: sorted,
    max: sorted[0]!,
    median: sorted[Math.floor(sorted.length / 2)]!,
    min: sorted.at(-1)!,
  }
}

/** Copies `sources` (records `count` in all) into a new topic until it holds `MIN_RECORDS`. */
async function fillPerfTopic(
  platform: Platform,
  sources: readonly string[],
  count: number,
  log4j: string,
): Promise<{ topic: string; copies: number; records: number }> {
  const { config } = platform
  const topic = `${config.topicPrefix}bench.raw-read`
  const copies = Math.ceil(MIN_RECORDS / count)
  const admin = platform.kafka.admin()
  await admin.connect()
  try {
    await admin.createTopics({
      topics: [{ topic, numPartitions: config.topicPartitions }],
      waitForLeaders: true,
    })
  } finally {
    await admin.disconnect()
  }
  const { stdout } = await run(
    'java',
    [
      `-Dlog4j.configuration=file:${log4j}`,
      '-cp',
      libs,
      join(root, 'bench', 'PerfTopic.java'),
      config.kafkaBrokers.join(','),
      topic,
      String(copies),
      ...sources,
    ],
    { cwd: root, maxBuffer: 1024 * 1024 },
  )
  return { topic, copies, records: Number(stdout.trim()) }
}

/** Kafka's own consumer over the whole topic, fetch time only (no JVM start, no group join). */
async function consumerPerformance(
  platform: Platform,
  topic: string,
  records: number,
  log4j: string,
  attempt: number,
): Promise<number> {
  const { stdout } = await run(
    'java',
    [
      '-cp',
      libs,
      `-Dlog4j.configuration=file:${log4j}`,
      'org.apache.kafka.tools.ConsumerPerformance',
      '--bootstrap-server',
      platform.config.kafkaBrokers.join(','),
      '--topic',
      topic,
      '--messages',
      String(records),
      '--group',
      `${platform.config.namespace}.raw-read.${attempt}`,
      '--timeout',
      '60000',
    ],
    { cwd: root, maxBuffer: 16 * 1024 * 1024 },
  )
  const lines = stdout.split('\n').map((line) => line.trim())
  const headerAt = lines.findIndex((line) => line.startsWith('start.time'))
  if (headerAt < 0 || !lines[headerAt + 1]) {
    throw new Error(`unexpected ConsumerPerformance output:\n${stdout}`)
  }
  const header = lines[headerAt]!.split(',').map((cell) => cell.trim())
  const values = lines[headerAt + 1]!.split(',').map((cell) => cell.trim())
  const field = (name: string) => Number(values[header.indexOf(name)])
  return (field('data.consumed.in.nMsg') * 1000) / field('fetch.time.ms')
}

/** A kafkajs consumer that only fetches: from its first batch to the last record. */
async function kafkajsFetch(
  platform: Platform,
  topic: string,
  records: number,
  attempt: number,
): Promise<number> {
  const consumer = platform.kafka.consumer({
    groupId: `${platform.config.namespace}.raw-read.kafkajs.${attempt}`,
    maxBytesPerPartition: 8 << 20,
    maxBytes: 64 << 20,
  })
  await consumer.connect()
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true })
    let seen = 0
    let first: number | undefined
    let done: () => void = () => {}
    const finished = new Promise<void>((resolve) => {
      done = resolve
    })
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        first ??= performance.now()
        seen += batch.messages.length
        if (seen >= records) done()
      },
    })
    await finished
    return (seen * 1000) / (performance.now() - first!)
  } finally {
    await consumer.disconnect()
  }
}

/** The baseline over `sources` (the bronze topics), `count` records in all. */
export async function measureRawRead(
  platform: Platform,
  sources: readonly string[],
  count: number,
): Promise<RawReadBaseline> {
  const dir = await mkdtemp(join(tmpdir(), 'kappa-raw-read-'))
  try {
    // Kafka's log4j to stderr at WARN, so stdout holds only what is parsed.
    const log4j = join(dir, 'log4j.properties')
    await writeFile(
      log4j,
      [
        'log4j.rootLogger=WARN, stderr',
        'log4j.appender.stderr=org.apache.log4j.ConsoleAppender',
        'log4j.appender.stderr.Target=System.err',
        'log4j.appender.stderr.layout=org.apache.log4j.PatternLayout',
        'log4j.appender.stderr.layout.ConversionPattern=%p %m (%c)%n',
        '',
      ].join('\n'),
    )
    const perf = await fillPerfTopic(platform, sources, count, log4j)
    const java: number[] = []
    const js: number[] = []
    for (let attempt = 0; attempt < RUNS; attempt++) {
      java.push(await consumerPerformance(platform, perf.topic, perf.records, log4j, attempt))
      js.push(await kafkajsFetch(platform, perf.topic, perf.records, attempt))
    }
    return {
      topic: perf.topic,
      copies: perf.copies,
      consumerPerformance: statsOf(perf.records, java),
      kafkajs: statsOf(perf.records, js),
    }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}
