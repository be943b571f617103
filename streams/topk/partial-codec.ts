import { PlatformError } from '../../core/errors.ts'
import type { ScopeCodec } from '../runtime/partition-scope.ts'
import { type BucketKind, bucketKinds } from './buckets.ts'
import { BucketCounter, type CounterShape, counterFromLegacy } from './counter/index.ts'
import { type BucketPartial, type Dimension, dimensions } from './partial.ts'
import { CountMinSketch } from './sketch/index.ts'

interface Stored {
  dimension: string
  kind: string
  start: number
  ops: number
  flushedOps: number
  /** Job version 5 on: the counter, sketch format 3. */
  counter?: string
  /** Job versions 2 to 4: the net sketch, and from version 3 the gross one. */
  sketch?: string
  gross?: string
}

const bytesOf = (text: string) => Buffer.from(text, 'base64')
const isKind = (value: string): value is BucketKind =>
  (bucketKinds as readonly string[]).includes(value)
const isDimension = (value: string): value is Dimension =>
  (dimensions as readonly string[]).includes(value)

/**
 * A partial as Redis keeps it: the counter's own binary format, base64, in a small JSON
 * envelope. Partials stored by job versions 2 to 4 (count-min sketches) are read and carried
 * on as sketched counters of `shape` (see counter/legacy.ts).
 */
export function partialCodec(shape: CounterShape): ScopeCodec<BucketPartial> {
  return {
    encode: (partial) =>
      JSON.stringify({
        ...partial.bucket,
        ops: partial.ops,
        flushedOps: partial.flushedOps,
        counter: Buffer.from(partial.counter.serialize()).toString('base64'),
      }),
    decode: (raw) => {
      const stored = JSON.parse(raw) as Stored
      const { dimension, kind, start } = stored
      if (!isDimension(dimension) || !isKind(kind)) {
        throw new PlatformError('DECODE_FAILED', 'stored scope entry is not a top-K partial', {
          context: { entry: raw.slice(0, 80) },
        })
      }
      return {
        bucket: { dimension, kind, start },
        counter: counterOf(stored, shape),
        ops: stored.ops,
        flushedOps: stored.flushedOps,
      }
    },
  }
}

function counterOf(stored: Stored, shape: CounterShape): BucketCounter {
  if (stored.counter !== undefined) return BucketCounter.deserialize(bytesOf(stored.counter))
  if (stored.sketch === undefined) {
    throw new PlatformError('DECODE_FAILED', 'stored top-K partial has no counter', {
      context: { dimension: stored.dimension, kind: stored.kind, start: stored.start },
    })
  }
  const net = CountMinSketch.deserialize(bytesOf(stored.sketch))
  // Stored by job version 2, before gross sketches: its net sketch stands in.
  const gross = stored.gross === undefined ? net : CountMinSketch.deserialize(bytesOf(stored.gross))
  return counterFromLegacy(net, gross, shape)
}
