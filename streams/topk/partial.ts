import { PlatformError } from '../../core/errors.ts'
import { type BucketKind, bucketKinds, emptySketch } from './buckets.ts'
import { CountMinSketch } from './sketch/index.ts'

/** What is counted: units per product, or per product category. */
export const dimensions = ['product', 'category'] as const
export type Dimension = (typeof dimensions)[number]

export interface BucketId {
  readonly dimension: Dimension
  readonly kind: BucketKind
  /** UTC ms. */
  readonly start: number
}

/**
 * One partition's partial sketch of one bucket. `ops` counts every add and retraction it
 * took: it only grows, so the sum over partitions orders merged results (a larger sum has
 * seen more), and `flushedOps` says whether there is anything new to flush.
 */
export interface PartialSketch {
  readonly bucket: BucketId
  readonly sketch: CountMinSketch
  ops: number
  flushedOps: number
}

export const bucketKey = ({ dimension, kind, start }: BucketId): string =>
  `${dimension}|${kind}|${start}`

export const newPartial = (bucket: BucketId): PartialSketch => ({
  bucket,
  sketch: emptySketch(bucket.kind),
  ops: 0,
  flushedOps: 0,
})

const isKind = (value: string): value is BucketKind =>
  (bucketKinds as readonly string[]).includes(value)
const isDimension = (value: string): value is Dimension =>
  (dimensions as readonly string[]).includes(value)

/** The sketch's own compact binary format, base64 inside a small JSON envelope. */
export const partialCodec = {
  encode: (partial: PartialSketch): string =>
    JSON.stringify({
      ...partial.bucket,
      ops: partial.ops,
      flushedOps: partial.flushedOps,
      sketch: Buffer.from(partial.sketch.serialize()).toString('base64'),
    }),
  decode: (raw: string): PartialSketch => {
    const parsed = JSON.parse(raw) as {
      dimension: string
      kind: string
      start: number
      ops: number
      flushedOps: number
      sketch: string
    }
    if (!isDimension(parsed.dimension) || !isKind(parsed.kind)) {
      throw new PlatformError('DECODE_FAILED', 'stored scope entry is not a top-K partial', {
        context: { entry: raw.slice(0, 80) },
      })
    }
    return {
      bucket: { dimension: parsed.dimension, kind: parsed.kind, start: parsed.start },
      sketch: CountMinSketch.deserialize(Buffer.from(parsed.sketch, 'base64')),
      ops: parsed.ops,
      flushedOps: parsed.flushedOps,
    }
  },
}
