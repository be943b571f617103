import { avroStateCodec, avroType as t } from '../runtime/state-codec.ts'
import type { TopKOrderState } from './job.ts'

export const topkStateCodec = avroStateCodec<TopKOrderState>([
  t.record('TopKOrderState', {
    order_id: t.string,
    canceled_at: t.nullable(t.long),
    lines: t.map(
      t.record('CountedLine', {
        product: t.string,
        category: t.nullable(t.string),
        at: t.long,
        kinds: t.array(t.string),
        position: t.nullable(t.long),
      }),
    ),
  }),
])
