import { lexicographicSortSchema, printSchema } from 'graphql'
import { builder } from './builder.ts'
import './delivery/delays.ts'
import './portfolio/matrix.ts'
import './portfolio/summary.ts'
import './portfolio/review-distribution.ts'
import './portfolio/reviews-by-delay.ts'
import './sales/rankings.ts'
import './sales/monthly.ts'
import './sales/lead-time.ts'

/** Every domain module above registers itself on the builder before this runs. */
export const schema = builder.toSchema()

export const printedSchema = (): string => `${printSchema(lexicographicSortSchema(schema))}\n`
