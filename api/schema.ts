import { lexicographicSortSchema, printSchema } from 'graphql'
import { builder } from './builder.ts'
import './delivery/delays.ts'

/** Every domain module above registers itself on the builder before this runs. */
export const schema = builder.toSchema()

export const printedSchema = (): string => `${printSchema(lexicographicSortSchema(schema))}\n`
