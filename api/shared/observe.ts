import {
  type DefinitionNode,
  type DocumentNode,
  GraphQLError,
  Kind,
  type OperationDefinitionNode,
  type SelectionNode,
} from 'graphql'
import type { Plugin } from 'graphql-yoga'
import type { ApiMetrics } from '../../core/metrics.ts'
import type { ApiContext } from '../builder.ts'
import { ApiErrorCodes } from '../errors.ts'

const known = new Set<string>(ApiErrorCodes)

/**
 * What each request leaves behind: latency and errors per top-level field (names from the
 * schema, so the label set stays bounded whatever clients send), unexpected errors logged
 * with the request id and replaced by a masked one that carries it, and the generation and
 * event time behind each field in `extensions.asOf`.
 */
export function observePlugin(metrics: ApiMetrics | undefined): Plugin<ApiContext> {
  return {
    onExecute({ args }) {
      const ctx = args.contextValue
      const fields = topLevelFields(args.document as DocumentNode, args.operationName)
      const began = performance.now()
      return {
        onExecuteDone({ result, setResult }) {
          if (!('errors' in result) && !('data' in result)) return
          const seconds = (performance.now() - began) / 1000
          const errors = (result.errors ?? []).map((error) => classify(ctx, error))
          for (const field of fields) {
            metrics?.requests.inc({ operation: field })
            metrics?.seconds.observe({ operation: field }, seconds)
            for (const error of errors) {
              metrics?.errors.inc({ operation: field, code: String(error.extensions.code) })
            }
          }
          const extensions = {
            ...result.extensions,
            ...(ctx.answered.size > 0 ? { asOf: Object.fromEntries(ctx.answered) } : {}),
          }
          setResult({
            ...result,
            ...(errors.length > 0 ? { errors } : {}),
            ...(Object.keys(extensions).length > 0 ? { extensions } : {}),
          })
        },
      }
    },
  }
}

/** The top-level fields of the operation a request executes. */
function topLevelFields(
  document: DocumentNode,
  operationName: string | null | undefined,
): string[] {
  const operation = document.definitions.find(
    (d: DefinitionNode): d is OperationDefinitionNode =>
      d.kind === Kind.OPERATION_DEFINITION &&
      (operationName === undefined || operationName === null || d.name?.value === operationName),
  )
  const names = (operation?.selectionSet.selections ?? []).flatMap((s: SelectionNode) =>
    s.kind === Kind.FIELD ? [s.name.value] : [],
  )
  return [...new Set(names)]
}

/** Expected errors keep their code; anything else is logged, then masked. */
function classify(ctx: ApiContext, error: GraphQLError): GraphQLError {
  const code = error.extensions?.code
  const expected =
    typeof code === 'string' &&
    known.has(code) &&
    (!error.originalError || error.originalError instanceof GraphQLError)
  if (expected) return error
  // Raised by graphql-js before any resolver ran (variables that do not coerce, hence no
  // path): the request's fault.
  if (code === undefined && error.path === undefined) {
    return new GraphQLError(error.message, {
      ...(error.nodes ? { nodes: error.nodes } : {}),
      extensions: { code: 'BAD_USER_INPUT' },
    })
  }
  ctx.logger.error(
    { err: error.originalError ?? error, requestId: ctx.requestId, path: error.path },
    'unexpected error answering a GraphQL request',
  )
  return new GraphQLError(`Unexpected error; request id ${ctx.requestId}`, {
    ...(error.path ? { path: error.path } : {}),
    ...(error.nodes ? { nodes: error.nodes } : {}),
    extensions: { code: 'INTERNAL_SERVER_ERROR', requestId: ctx.requestId },
  })
}

/**
 * yoga's last word on errors outside execution (parsing, validation, limits): codes for the
 * GraphQL ones, and nothing of an unexpected error but that it happened.
 */
export function maskError(error: unknown): Error {
  if (
    error instanceof GraphQLError &&
    !(error.originalError && !(error.originalError instanceof GraphQLError))
  ) {
    if (error.extensions?.code) return error
    const code = error.message.startsWith('Syntax Error')
      ? 'GRAPHQL_PARSE_FAILED'
      : 'GRAPHQL_VALIDATION_FAILED'
    return new GraphQLError(error.message, {
      ...(error.nodes ? { nodes: error.nodes } : {}),
      extensions: { ...error.extensions, code },
    })
  }
  return new GraphQLError('Unexpected error', { extensions: { code: 'INTERNAL_SERVER_ERROR' } })
}
