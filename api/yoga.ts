import { randomUUID } from 'node:crypto'
import { renderGraphiQL } from '@graphql-yoga/render-graphiql'
import { createYoga, type YogaServerInstance } from 'graphql-yoga'
import type { Registry } from 'prom-client'
import { createApiMetrics } from '../core/metrics.ts'
import type { ApiContext, ApiServices } from './builder.ts'
import { schema } from './schema.ts'
import { armorPlugin, bodyLimitPlugin } from './shared/limits.ts'
import { maskError, observePlugin } from './shared/observe.ts'
import { cachedViewJobs, responseCachePlugin } from './shared/response-cache.ts'

export interface ApiOptions extends ApiServices {
  /** The process's metrics registry: request latency and errors per operation. */
  readonly metrics?: Registry
}

/**
 * The GraphQL handler; tests call `yoga.fetch` in process, the server mounts it on /graphql.
 * GraphiQL is the bundled page from npm (`@graphql-yoga/render-graphiql`): yoga's default
 * loads its scripts from a CDN, which a closed network cannot reach.
 */
export function createApi(options: ApiOptions): YogaServerInstance<object, ApiContext> {
  const { metrics, ...services } = options
  const logger = services.logger.child({ component: 'api' })
  const apiMetrics = metrics ? createApiMetrics(metrics) : undefined
  return createYoga<object, ApiContext>({
    schema,
    context: ({ request }) => {
      const authorization = request.headers.get('authorization') ?? ''
      const bearer = /^Bearer\s+(\S+)$/i.exec(authorization)?.[1]
      return {
        ...services,
        logger,
        requestId: request.headers.get('x-request-id') ?? randomUUID(),
        bearerToken: bearer,
        answered: new Map(),
      }
    },
    graphqlEndpoint: '/graphql',
    landingPage: false,
    graphiql: { title: 'kappa-olist GraphQL' },
    renderGraphiQL,
    maskedErrors: { maskError },
    plugins: [
      bodyLimitPlugin(),
      armorPlugin(),
      observePlugin(apiMetrics),
      // Without data versions (an API over tables nothing tracks) every answer is asked afresh.
      ...(services.versions
        ? [
            responseCachePlugin({
              versions: services.versions,
              jobsRead: cachedViewJobs,
              ...(apiMetrics ? { metrics: apiMetrics.cache } : {}),
            }),
          ]
        : []),
    ],
    logging: {
      debug: (...args) => logger.debug({ args }, 'yoga'),
      info: (...args) => logger.info({ args }, 'yoga'),
      warn: (...args) => logger.warn({ args }, 'yoga'),
      error: (...args) => logger.error({ args }, 'yoga'),
    },
  })
}
