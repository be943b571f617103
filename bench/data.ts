import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import type { Message } from 'kafkajs'
import { bootstrap } from '../cli/services.ts'
import { loadConfig } from '../core/config.ts'
import { createLogger } from '../core/logger.ts'
import { createPlatform, type Platform } from '../core/platform.ts'
import {
  buildTimeline,
  fingerprintInput,
  generateOlist,
  loadDataset,
  type SimulationSummary,
  type TimelineEvent,
} from '../data/index.ts'
import { topicName, topics } from '../schemas/topics.ts'
import { BronzePublisher } from '../streams/publisher.ts'
import { BENCH_BATCH, BENCH_SEED, publishTimeline } from './pipeline.ts'

const GENERATE_SCALE = 0.25
const SIMULATE_SCALE = 0.05

const rate = (count: number, ms: number) => Math.round((count * 1000) / ms).toLocaleString('en-US')

async function withTempDir<T>(run: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'kappa-bench-data-'))
  try {
    return await run(dir)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

/** Generator throughput: rows written per second at scale 0.25. */
export async function benchGenerate(print: (line: string) => void): Promise<void> {
  await withTempDir(async (dir) => {
    const summary = await generateOlist({ scale: GENERATE_SCALE, seed: BENCH_SEED, outDir: dir })
    print(
      `generate scale ${GENERATE_SCALE}: ${summary.rows.toLocaleString('en-US')} rows in ` +
        `${(summary.ms / 1000).toFixed(2)} s = ${rate(summary.rows, summary.ms)} rows/s`,
    )
  })
}

/**
 * Simulator throughput into Kafka in max mode (scale 0.05), against a baseline measured in
 * the same run: the same records Avro-encoded up front and sent with a plain kafkajs producer
 * (same batches, acks=all, idempotent), so the ratio is the simulator's own overhead.
 */
export async function benchSimulate(
  print: (line: string) => void,
  platform: Platform,
): Promise<void> {
  await bootstrap(platform)
  await withTempDir(async (dir) => {
    await generateOlist({ scale: SIMULATE_SCALE, seed: BENCH_SEED, outDir: dir })
    const { dataset } = await loadDataset({ dir, logger: platform.logger, onReject: () => {} })
    const timeline = buildTimeline(dataset)
    const fingerprint = await fingerprintInput(dir)

    const publisher = new BronzePublisher(
      platform.kafka,
      platform.codec,
      platform.config.topicPrefix,
    )
    await publisher.connect()
    let simulated: SimulationSummary
    try {
      simulated = await publishTimeline({
        timeline,
        fingerprint,
        sink: publisher,
        logger: platform.logger,
      })
    } finally {
      await publisher.disconnect()
    }

    const encodeStarted = performance.now()
    const batches = await encodeBatches(platform, timeline)
    const encodeMs = performance.now() - encodeStarted
    const producer = platform.kafka.producer({ idempotent: true, maxInFlightRequests: 1 })
    await producer.connect()
    const started = performance.now()
    try {
      for (const topicMessages of batches) await producer.sendBatch({ acks: -1, topicMessages })
    } finally {
      await producer.disconnect()
    }
    const rawMs = performance.now() - started

    const events = timeline.length.toLocaleString('en-US')
    print(
      `simulate scale ${SIMULATE_SCALE} (max, batch ${BENCH_BATCH}): ${events} events in ` +
        `${(simulated.elapsedMs / 1000).toFixed(2)} s = ${rate(simulated.events, simulated.elapsedMs)} events/s`,
    )
    print(
      `raw kafkajs sendBatch of pre-encoded records: ${events} in ${(rawMs / 1000).toFixed(2)} s = ` +
        `${rate(timeline.length, rawMs)} msgs/s; simulator/raw = ${(rawMs / simulated.elapsedMs).toFixed(2)}`,
    )
    print(`Avro encoding alone (part of the simulator's time): ${(encodeMs / 1000).toFixed(2)} s`)
  })
}

/** The timeline in the simulator's batch sizes, Avro-encoded and grouped by topic. */
async function encodeBatches(platform: Platform, timeline: readonly TimelineEvent[]) {
  const prefix = platform.config.topicPrefix
  const batches: { topic: string; messages: Message[] }[][] = []
  for (let i = 0; i < timeline.length; i += BENCH_BATCH) {
    const byTopic = new Map<string, Message[]>()
    for (const event of timeline.slice(i, i + BENCH_BATCH)) {
      const name = topicName(event.record.topic, prefix)
      const schema = topics[event.record.topic].schema
      const value = await platform.codec.encode({ name, schema }, event.record.value)
      const messages = byTopic.get(name) ?? []
      messages.push({ key: event.key, value })
      byTopic.set(name, messages)
    }
    batches.push([...byTopic].map(([topic, messages]) => ({ topic, messages })))
  }
  return batches
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const config = loadConfig(process.env)
  const platform = createPlatform(config, createLogger({ level: 'warn' }), 'kappa-bench-data')
  try {
    await benchGenerate(console.log)
    await benchSimulate(console.log, platform)
  } finally {
    await platform.close()
  }
}
