import { join } from 'node:path'
import { simulateDirectory } from '../cli/data-commands.ts'
import type { Platform } from '../core/platform.ts'
import {
  createPacing,
  generateOlist,
  MemoryCheckpointStore,
  runSimulation,
  type SimulationOptions,
  type SimulationSummary,
  systemClock,
} from '../data/index.ts'

export const BENCH_SEED = 20240601
/** Records per publish in every benchmark that publishes. */
export const BENCH_BATCH = 500

/** Publishes the whole timeline in max mode from the start, with a throwaway checkpoint. */
export function publishTimeline(
  options: Pick<SimulationOptions, 'timeline' | 'fingerprint' | 'sink' | 'onBatch' | 'logger'>,
): Promise<SimulationSummary> {
  return runSimulation({
    ...options,
    start: 0,
    checkpoint: new MemoryCheckpointStore(),
    pacing: createPacing({ mode: 'max' }),
    clock: systemClock,
    batchSize: BENCH_BATCH,
  })
}

/** Generates an Olist-like dataset in `dir` and publishes all of it to Kafka, as fast as it goes. */
export async function generateAndPublish(
  platform: Platform,
  options: { scale: number; dir: string; print: (line: string) => void; batchSize?: number },
): Promise<{ rows: number }> {
  const { scale, dir, print } = options
  const generated = await generateOlist({ scale, seed: BENCH_SEED, outDir: dir })
  print(
    `scale ${scale}: generated ${generated.rows.toLocaleString('en-US')} CSV rows in ${(generated.ms / 1000).toFixed(1)} s`,
  )
  const began = performance.now()
  await simulateDirectory(platform, {
    dir,
    pacing: createPacing({ mode: 'max' }),
    batchSize: options.batchSize ?? BENCH_BATCH,
    checkpointPath: join(dir, 'checkpoint.json'),
    rejectsPath: join(dir, 'rejects.csv'),
    restart: true,
    strict: true,
  })
  print(`published in ${((performance.now() - began) / 1000).toFixed(1)} s`)
  return { rows: generated.rows }
}
