import { createYoga, type YogaServerInstance } from 'graphql-yoga'
import type { ApiContext } from './builder.ts'
import { schema } from './schema.ts'

/** The GraphQL handler; tests call `yoga.fetch` in process, the server mounts it on /graphql. */
export function createApi(context: ApiContext): YogaServerInstance<object, ApiContext> {
  return createYoga<object, ApiContext>({
    schema,
    context: () => context,
    graphqlEndpoint: '/graphql',
    maskedErrors: true,
    logging: {
      debug: (...args) => context.logger.debug({ args }, 'yoga'),
      info: (...args) => context.logger.info({ args }, 'yoga'),
      warn: (...args) => context.logger.warn({ args }, 'yoga'),
      error: (...args) => context.logger.error({ args }, 'yoga'),
    },
  })
}
