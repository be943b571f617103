import { EnvelopArmorPlugin } from '@escape.tech/graphql-armor'
import type { GraphQLError } from 'graphql'
import { createGraphQLError, type Plugin } from 'graphql-yoga'

/** The API's abuse limits, in one place; docs/api.md lists them. */
export const apiLimits = {
  /** Deep enough for GraphiQL's introspection query (13 levels), not for much else. */
  maxDepth: 15,
  maxAliases: 15,
  maxDirectives: 10,
  maxTokens: 2_000,
  /** A full page (100) of a view with nested items costs about 7,000. */
  maxCost: 20_000,
  maxBodyBytes: 100_000,
} as const

/**
 * Tags a graphql-armor rejection with the API's error code. Armor words its rejections as
 * parse errors ("Syntax Error: Query Cost limit …") although the query parsed; the code says
 * what happened, so the prefix goes.
 */
const tooComplex = (_context: unknown, error: GraphQLError) => {
  Object.assign(error.extensions, { code: 'QUERY_TOO_COMPLEX' })
  error.message = error.message.replace(/^Syntax Error: /, '')
}

/**
 * graphql-armor's protections. Depth is counted through introspection too (an introspection
 * query can nest `ofType` without end, and armor does not count `__schema` otherwise), and
 * field suggestions are blocked so error messages do not reveal the schema.
 */
export function armorPlugin() {
  const callbacks = { onReject: [tooComplex], propagateOnRejection: true }
  return EnvelopArmorPlugin({
    maxDepth: { n: apiLimits.maxDepth, ignoreIntrospection: false, ...callbacks },
    maxAliases: { n: apiLimits.maxAliases, ...callbacks },
    maxDirectives: { n: apiLimits.maxDirectives, ...callbacks },
    maxTokens: { n: apiLimits.maxTokens, ...callbacks },
    costLimit: { maxCost: apiLimits.maxCost, ...callbacks },
    blockFieldSuggestion: { enabled: true },
  })
}

/**
 * Refuses request bodies over `maxBodyBytes` before parsing them: by their declared length, or,
 * for a body sent without one, while reading it.
 */
export function bodyLimitPlugin(maxBodyBytes: number = apiLimits.maxBodyBytes): Plugin {
  const tooLarge = () =>
    createGraphQLError(`request body over ${maxBodyBytes} bytes`, {
      extensions: { code: 'PAYLOAD_TOO_LARGE', http: { status: 413 }, limitBytes: maxBodyBytes },
    })
  return {
    onRequestParse({ request, setRequestParser }) {
      if (request.method !== 'POST') return
      const declared = Number(request.headers.get('content-length') ?? Number.NaN)
      if (declared > maxBodyBytes) throw tooLarge()
      if (!request.headers.get('content-type')?.includes('application/json')) return
      setRequestParser(async (req) => {
        const text = await readLimited(req, maxBodyBytes, tooLarge)
        try {
          return JSON.parse(text)
        } catch {
          throw createGraphQLError('request body is not JSON', {
            extensions: { code: 'BAD_REQUEST', http: { status: 400 } },
          })
        }
      })
    },
  }
}

async function readLimited(request: Request, limit: number, tooLarge: () => Error) {
  const reader = request.body?.getReader()
  if (!reader) return ''
  const chunks: Uint8Array[] = []
  let size = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    size += value.byteLength
    if (size > limit) {
      await reader.cancel()
      throw tooLarge()
    }
    chunks.push(value)
  }
  return Buffer.concat(chunks).toString('utf8')
}
