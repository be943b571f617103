import { createServer, type RequestListener, type Server } from 'node:http'
import type { Registry } from 'prom-client'
import type { Logger } from './logger.ts'

export type HealthCheck = () => Promise<{ ok: boolean; detail?: unknown }>

export interface HttpServerOptions {
  readonly port: number
  readonly host?: string
  readonly metrics: Registry
  /** Named checks; /health answers 503 when any fails. */
  readonly health: Readonly<Record<string, HealthCheck>>
  /** Everything that is not /metrics or /health (the GraphQL handler). */
  readonly app?: RequestListener
  readonly logger: Logger
}

/** Every process exposes /metrics (Prometheus text) and /health (JSON). */
export async function startHttpServer(options: HttpServerOptions): Promise<Server> {
  const server = createServer(async (req, res) => {
    const path = (req.url ?? '/').split('?')[0]
    if (path === '/metrics') {
      res.writeHead(200, { 'content-type': options.metrics.contentType })
      res.end(await options.metrics.metrics())
      return
    }
    if (path === '/health') {
      const entries = await Promise.all(
        Object.entries(options.health).map(async ([name, check]) => {
          try {
            return [name, await check()] as const
          } catch (error) {
            return [name, { ok: false, detail: (error as Error).message }] as const
          }
        }),
      )
      const ok = entries.every(([, r]) => r.ok)
      res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ ok, checks: Object.fromEntries(entries) }))
      return
    }
    if (options.app) {
      options.app(req, res)
      return
    }
    res.writeHead(404).end()
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port, options.host ?? '127.0.0.1', resolve)
  })
  options.logger.info(
    { address: `http://${options.host ?? '127.0.0.1'}:${options.port}` },
    'http server listening',
  )
  return server
}
