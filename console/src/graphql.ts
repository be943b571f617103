/**
 * GraphQL documents typed from the committed SDL (api/schema.graphql) by gql.tada: each
 * document's answer and variables types come from the document itself, so a field added to a
 * document is typed where it is drawn and nothing is written twice. `graphql-env.d.ts` is
 * generated from the SDL (`npm run api:sdl` writes both; a test fails when it is stale).
 * gql.tada over graphql-codegen: no generated type per query to keep in step, and its runtime
 * (a small parser) is all the page bundles.
 */
import { initGraphQLTada } from 'gql.tada'
import type { introspection } from './graphql-env.d.ts'

export const graphql = initGraphQLTada<{
  introspection: introspection
  // Fragments spread into a document add their fields to its answer type.
  disableMasking: true
}>()

export type { ResultOf, TadaDocumentNode, VariablesOf } from 'gql.tada'
