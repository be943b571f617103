/**
 * The web console's assets, served by the process that serves /graphql: `/` is the page,
 * `/assets/…` its script, styles and icon; everything else goes to the wrapped handler (yoga).
 * The page code (console/src, TypeScript) is bundled with esbuild into memory when the handler
 * is made (about half a second), so a fresh clone needs no build step; the bundle holds
 * Observable Plot from npm, so the page loads nothing from anywhere but this process.
 */
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'
import type { Logger } from '../core/logger.ts'

const here = dirname(fileURLToPath(import.meta.url))

export interface ConsoleAsset {
  readonly body: Buffer
  readonly gzip: Buffer
  readonly type: string
  readonly etag: string
}

/**
 * The page may run only its own script, talk only to its own origin and show only its own
 * images. Styles allow inline attributes: Observable Plot styles the SVG it draws inline.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ')

function asset(body: Buffer | string, type: string): ConsoleAsset {
  const bytes = typeof body === 'string' ? Buffer.from(body) : body
  const etag = `"${createHash('sha256').update(bytes).digest('base64url').slice(0, 22)}"`
  return { body: bytes, gzip: gzipSync(bytes), type, etag }
}

/** Bundles the page code and returns every asset by URL path. */
export async function buildConsoleAssets(): Promise<Map<string, ConsoleAsset>> {
  const { build } = await import('esbuild')
  const result = await build({
    entryPoints: { console: join(here, 'src', 'main.ts') },
    outdir: join(here, 'dist'),
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    legalComments: 'none',
    charset: 'utf8',
    logLevel: 'silent',
  })
  const output = (ext: string) => {
    const file = result.outputFiles.find((f) => f.path.endsWith(ext))
    if (!file) throw new Error(`esbuild wrote no ${ext} file`)
    return Buffer.from(file.contents)
  }
  const js = output('.js')
  const css = output('.css')
  const version = createHash('sha256').update(js).update(css).digest('hex').slice(0, 12)
  const html = readFileSync(join(here, 'index.html'), 'utf8').replaceAll('__VERSION__', version)
  return new Map([
    ['/', asset(html, 'text/html; charset=utf-8')],
    ['/assets/console.js', asset(js, 'text/javascript; charset=utf-8')],
    ['/assets/console.css', asset(css, 'text/css; charset=utf-8')],
    ['/assets/favicon.svg', asset(readFileSync(join(here, 'favicon.svg')), 'image/svg+xml')],
  ])
}

export const isConsolePath = (path: string): boolean => path === '/' || path.startsWith('/assets/')

export interface ConsoleHandlerOptions {
  readonly logger?: Logger
  /** Assets to serve instead of building them (tests). */
  readonly assets?: Promise<Map<string, ConsoleAsset>>
}

/**
 * Wraps `app`: the console's paths are answered here, every other request (/graphql) is
 * passed on untouched. The bundle starts building at once; a request that comes before it
 * is done waits for it.
 */
export function consoleHandler(
  app: RequestListener,
  options: ConsoleHandlerOptions = {},
): RequestListener {
  const began = Date.now()
  const assets = options.assets ?? buildConsoleAssets()
  assets.then(
    (built) =>
      options.logger?.info(
        {
          ms: Date.now() - began,
          bytes: Object.fromEntries([...built].map(([path, a]) => [path, a.body.length])),
        },
        'console bundled',
      ),
    (error: unknown) =>
      options.logger?.error({ err: error }, 'console bundle failed; / answers 500'),
  )
  return (req, res) => {
    const path = (req.url ?? '/').split('?')[0]!
    if (!isConsolePath(path)) {
      app(req, res)
      return
    }
    void serveAsset(req, res, path, assets)
  }
}

async function serveAsset(
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  assets: Promise<Map<string, ConsoleAsset>>,
): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('GET only\n')
    return
  }
  let built: Map<string, ConsoleAsset>
  try {
    built = await assets
  } catch (error) {
    res
      .writeHead(500, { 'content-type': 'text/plain; charset=utf-8' })
      .end(`the console could not be built: ${(error as Error).message}\n`)
    return
  }
  const found = built.get(path)
  if (!found) {
    res.writeHead(404, { 'content-type': 'text/plain' }).end('no such asset\n')
    return
  }
  const headers: Record<string, string> = {
    'content-type': found.type,
    etag: found.etag,
    // Revalidated every time (the ETag makes that a 304): a restarted platform may serve a
    // new bundle under the same path.
    'cache-control': 'no-cache',
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    vary: 'accept-encoding',
  }
  if (path === '/') headers['content-security-policy'] = CONTENT_SECURITY_POLICY
  if (req.headers['if-none-match'] === found.etag) {
    res.writeHead(304, headers).end()
    return
  }
  const gzip = /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''))
  const body = gzip ? found.gzip : found.body
  if (gzip) headers['content-encoding'] = 'gzip'
  headers['content-length'] = String(body.length)
  res.writeHead(200, headers)
  res.end(req.method === 'HEAD' ? undefined : body)
}
