import { pipelineAudit } from '../../tables/pipeline-audit.ts'
import { foldLifecycle } from '../order-lifecycle/fold.ts'
import { type InputEvent, type Job, output, type StepResult } from '../runtime/job.ts'
import { auditRow } from './audit.ts'
import { emptyQualityState, type QualityState, qualityStateCodec } from './state.ts'

/** A record is late when it reached Kafka more than this after it happened (1 hour). */
export const LATE_THRESHOLD_MS = 3_600_000

type Input = 'orderStatus' | 'estimatedDeliveryDate' | 'orderItem' | 'payment' | 'review'

/**
 * Lifecycle rank of each kind of record, as the source emits them: items and payments
 * with the purchase, the estimated date with the approval. Cancellations and reviews
 * have none: they may follow any stage.
 */
const stageRank: ReadonlyMap<string, number> = new Map([
  ['purchase', 0],
  ['orderItem', 0],
  ['payment', 0],
  ['approved', 1],
  ['estimatedDeliveryDate', 1],
  ['delivered_carrier', 2],
  ['delivered_customer', 3],
])

const rankOf = (event: InputEvent<Input>): number | undefined =>
  stageRank.get(event.topic === 'orderStatus' ? event.value.status : event.topic)

/**
 * Audits what arrived for each order, and when. Out of order: a record ingested after a
 * record of a higher stage rank of the same order (e.g. approved after delivered_carrier,
 * an item after the approval); equal ranks are not (the estimated date may precede its
 * approval). Dead-lettered records (undecodable, or rejected by this
 * step) never reach this state: the runtime publishes them to the dead-letter topic and
 * counts them in `kappa_job_dead_letters_total`, which is where to read them.
 */
export const qualityJob: Job<QualityState, Input> = {
  name: 'quality',
  // 2: out-of-order judged by ingest time instead of consumption order.
  version: '2',
  inputs: ['orderStatus', 'estimatedDeliveryDate', 'orderItem', 'payment', 'review'],
  tables: [pipelineAudit],
  stateKey: (event) => event.value.order_id,
  stateCodec: qualityStateCodec,
  process(previous, event): StepResult<QualityState> {
    const state = previous ?? emptyQualityState(event.value.order_id)
    const recordKey = `${event.topic}|${event.key}`
    if (state.seen.includes(recordKey)) return { state, outputs: [] }

    let lifecycle = state.lifecycle
    if (event.topic === 'orderStatus' || event.topic === 'estimatedDeliveryDate') {
      // Throws EVENT_INVALID on an unknown status, as the lifecycle job does.
      lifecycle = foldLifecycle(lifecycle, event)
    }
    const { event_time, ingest_time } = event.value
    const rank = rankOf(event)
    const next: QualityState = {
      lifecycle,
      seen: [...state.seen, recordKey],
      item_count: state.item_count + (event.topic === 'orderItem' ? 1 : 0),
      payment_count: state.payment_count + (event.topic === 'payment' ? 1 : 0),
      review_count: state.review_count + (event.topic === 'review' ? 1 : 0),
      first_ingest_time: Math.min(state.first_ingest_time ?? ingest_time, ingest_time),
      last_ingest_time: Math.max(state.last_ingest_time ?? ingest_time, ingest_time),
      staged: rank === undefined ? state.staged : [...state.staged, [rank, ingest_time]],
      late_events: state.late_events + (ingest_time - event_time > LATE_THRESHOLD_MS ? 1 : 0),
    }
    return { state: next, outputs: [output(pipelineAudit, auditRow(next))] }
  },
}
