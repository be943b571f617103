/**
 * `npm run bench [names…]`: runs benchmarks and prints their figures. Nothing here
 * asserts on time; each bench reports ratios against a baseline measured in the same run.
 * Benches that need services get the same stack as the tests (environment, Testcontainers
 * or local processes).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadConfig } from '../core/config.ts'
import { createLogger, silentLogger } from '../core/logger.ts'
import { createPlatform, type Platform } from '../core/platform.ts'
import { getTestStack } from '../test/support/stack.ts'
import { benchApi } from './api.ts'
import { benchGenerate, benchSimulate } from './data.ts'
import { benchFreshness } from './freshness.ts'
import { benchJobs } from './jobs.ts'
import { benchReplay } from './replay.ts'
import { benchScale } from './scale.ts'
import { benchServe } from './serve.ts'
import { runSketchAccuracyBench } from './sketch-accuracy.ts'
import { benchSoak } from './soak.ts'

type Print = (line: string) => void
type Bench = (print: Print, services: () => Promise<Platform>) => Promise<void>

const benches: Record<string, Bench> = {
  'sketch-accuracy': (print) => runSketchAccuracyBench(print),
  generate: (print) => benchGenerate(print),
  simulate: async (print, services) => benchSimulate(print, await services()),
  jobs: async (print, services) => benchJobs(print, await services()),
  replay: async (print, services) => benchReplay(print, await services()),
  api: async (print, services) => benchApi(print, await services()),
  scale: async (print, services) => benchScale(print, await services()),
  freshness: async (print, services) => benchFreshness(print, await services()),
  serve: async (print, services) => benchServe(print, await services()),
  soak: async (print, services) => benchSoak(print, await services()),
}

/** Benches a bare `npm run bench` leaves out: the soak takes an hour by default. */
const byNameOnly = new Set(['soak'])
const wanted = process.argv.slice(2)
const unknown = wanted.filter((name) => !benches[name])
if (unknown.length > 0) {
  console.error(
    `unknown bench(es): ${unknown.join(', ')}; known: ${Object.keys(benches).join(', ')}`,
  )
  process.exit(2)
}

let platform: Platform | undefined
const chdbDir = mkdtempSync(join(tmpdir(), 'kappa-bench-'))
const services = async (): Promise<Platform> => {
  if (platform) return platform
  const stack = await getTestStack()
  const run = `bench_${Date.now().toString(36)}`
  platform = createPlatform(
    loadConfig({
      KAFKA_BROKERS: stack.kafkaBrokers.join(','),
      SCHEMA_REGISTRY_URL: stack.schemaRegistryUrl,
      REDIS_URL: stack.redisUrl,
      CLICKHOUSE_URL: stack.clickhouseUrl,
      CLICKHOUSE_PATH: chdbDir,
      TOPIC_PREFIX: `${run}.`,
      KAPPA_NAMESPACE: run,
    }),
    // BENCH_LOG=<pino level> shows the platform's logs (on stdout, mixed with the figures).
    process.env.BENCH_LOG ? createLogger({ level: process.env.BENCH_LOG }) : silentLogger(),
    run,
  )
  return platform
}

try {
  for (const [name, bench] of Object.entries(benches)) {
    if (wanted.length > 0 ? !wanted.includes(name) : byNameOnly.has(name)) continue
    console.log(`\n== ${name} ==`)
    const began = performance.now()
    await bench((line) => console.log(line), services)
    console.log(`(${name}: ${((performance.now() - began) / 1000).toFixed(1)} s)`)
  }
} finally {
  await platform?.close()
  rmSync(chdbDir, { recursive: true, force: true })
}
