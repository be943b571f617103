/** The console's only way to the platform: POST /graphql on its own origin. */
import { print } from '@0no-co/graphql.web'
import type { ResultOf, TadaDocumentNode } from './graphql.ts'
import type { AS_OF } from './queries.ts'

export type AsOf = ResultOf<typeof AS_OF>

export interface GraphQLErrorBody {
  readonly message: string
  readonly extensions?: { readonly code?: string } & Record<string, unknown>
}

/** An answer with errors: the first error's code and message, and all of them. */
export class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly errors: readonly GraphQLErrorBody[],
  ) {
    super(message)
    this.name = 'ApiError'
  }
}

export interface RequestOptions {
  /** The admin token, sent as `authorization: Bearer <token>` (mutations only). */
  readonly token?: string
}

export async function gql<D, V>(
  document: TadaDocumentNode<D, V>,
  variables: V,
  options: RequestOptions = {},
): Promise<D> {
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    accept: 'application/graphql-response+json, application/json',
  }
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`
  let response: Response
  try {
    response = await fetch('/graphql', {
      method: 'POST',
      headers,
      body: JSON.stringify({ query: print(document), variables }),
    })
  } catch {
    throw new ApiError('UNREACHABLE', 'the platform does not answer', [])
  }
  let body: { data?: D | null; errors?: GraphQLErrorBody[] }
  try {
    body = await response.json()
  } catch {
    throw new ApiError(`HTTP_${response.status}`, `HTTP ${response.status} without a JSON body`, [])
  }
  if (body.errors && body.errors.length > 0) {
    const first = body.errors[0]!
    throw new ApiError(first.extensions?.code ?? 'ERROR', first.message, body.errors)
  }
  if (!body.data) throw new ApiError('ERROR', 'an answer without data', [])
  return body.data
}
