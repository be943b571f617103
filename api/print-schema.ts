import { writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { printedSchema } from './schema.ts'

/** Writes the SDL that clients and the snapshot test read. */
writeFileSync(join(dirname(fileURLToPath(import.meta.url)), 'schema.graphql'), printedSchema())
