import { lexicographicSortSchema, printSchema } from 'graphql'
import { builder } from './builder.ts'
import './delivery/delays.ts'
import './generations/fields.ts'
import './portfolio/matrix.ts'
import './portfolio/summary.ts'
import './portfolio/review-distribution.ts'
import './portfolio/reviews-by-delay.ts'
import './sales/rankings.ts'
import './sales/monthly.ts'
import './sales/lead-time.ts'
import './orders/order.ts'
import './topk/topk.ts'
import './pipeline/pipeline.ts'
import './lineage/lineage.ts'

/** Every domain module above registers itself on the builder before this runs. */
export const schema = builder.toSchema()

export const printedSchema = (): string => `${printSchema(lexicographicSortSchema(schema))}\n`
