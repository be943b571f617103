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
 * One partition's partial sketches of one bucket. `sketch` counts net units (adds less
 * retractions) and is what gets ranked; `gross` counts adds only and nominates the candidates.
 * Candidates offered from the net sketch would depend on whether a cancellation was read
 * before or after the items it retracts (a key knocked out at a low net estimate does not come
 * back), so rebuilding from the same log could rank differently; gross estimates only grow, and
 * the adds come in the item topic's log order, so the candidates are a function of the log.
 * `ops` counts every add and retraction taken: it only grows, so the sum over partitions orders
 * merged results (a larger sum has seen more), and `flushedOps` says whether there is anything
 * new to flush.
 */
export interface PartialSketch {
  readonly bucket: BucketId
  readonly sketch: CountMinSketch
  readonly gross: CountMinSketch
  ops: number
  flushedOps: number
}

export const bucketKey = ({ dimension, kind, start }: BucketId): string =>
  `${dimension}|${kind}|${start}`

export const newPartial = (bucket: BucketId): PartialSketch => ({
  bucket,
  sketch: emptySketch(bucket.kind),
  gross: emptySketch(bucket.kind),
  ops: 0,
  flushedOps: 0,
})

const isKind = (value: string): value is BucketKind =>
  (bucketKinds as readonly string[]).includes(value)
const isDimension = (value: string): value is Dimension =>
  (dimensions as readonly string[]).includes(value)

/** The net sketch ranked by the candidates its gross sketch nominates: what a partial row holds. */
export const rankedSketchBytes = (partial: PartialSketch): Uint8Array =>
  partial.sketch.serializeWithCandidates(partial.gross.candidateKeys())

const toBase64 = (sketch: CountMinSketch) => Buffer.from(sketch.serialize()).toString('base64')
const fromBase64 = (text: string) => CountMinSketch.deserialize(Buffer.from(text, 'base64'))

/** The sketches' own compact binary format, base64 inside a small JSON envelope. */
export const partialCodec = {
  encode: (partial: PartialSketch): string =>
    JSON.stringify({
      ...partial.bucket,
      ops: partial.ops,
      flushedOps: partial.flushedOps,
      sketch: toBase64(partial.sketch),
      gross: toBase64(partial.gross),
    }),
  decode: (raw: string): PartialSketch => {
    const parsed = JSON.parse(raw) as {
      dimension: string
      kind: string
      start: number
      ops: number
      flushedOps: number
      sketch: string
      gross?: string
    }
    if (!isDimension(parsed.dimension) || !isKind(parsed.kind)) {
      throw new PlatformError('DECODE_FAILED', 'stored scope entry is not a top-K partial', {
        context: { entry: raw.slice(0, 80) },
      })
    }
    const sketch = fromBase64(parsed.sketch)
    return {
      bucket: { dimension: parsed.dimension, kind: parsed.kind, start: parsed.start },
      sketch,
      // Stored by job version 2, before gross sketches: its net sketch stands in.
      gross: parsed.gross === undefined ? sketch : fromBase64(parsed.gross),
      ops: parsed.ops,
      flushedOps: parsed.flushedOps,
    }
  },
}
