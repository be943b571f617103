/**
 * The admin token of a platform process on this machine. `kappa demo` and `kappa run --api`
 * started without ADMIN_TOKEN make one and keep it in a file only the user can read; the
 * commands that talk to that process (replay, generations, swap, rollback, drop, lineage) read
 * it from there. ADMIN_TOKEN, when set, wins on both sides.
 */
import { randomBytes } from 'node:crypto'
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { PlatformConfig } from '../core/config.ts'
import type { Logger } from '../core/logger.ts'

/** One file per platform instance (namespace and HTTP port), so two demos never share one. */
export function adminTokenPath(root: string, config: PlatformConfig): string {
  return join(root, 'var', 'admin', `${config.namespace}-${config.httpPort}.token`)
}

/** Where the token a process serves mutations with came from. */
export type ServedToken =
  | { readonly token: string; readonly from: 'ADMIN_TOKEN' }
  | { readonly token: string; readonly from: 'file'; readonly path: string }

/** Only the owner may read or write it: whoever reads it may swap and drop generations. */
const OWNER_ONLY = 0o600

/**
 * The token a platform process serves mutations with: ADMIN_TOKEN, or the one in its file,
 * made on first start and kept across restarts (a restarted demo keeps its token, and a second
 * process started on a port already taken leaves the first one's file alone). A file others
 * could read is replaced by a new token.
 */
export function serveAdminToken(root: string, config: PlatformConfig): ServedToken {
  if (config.adminToken) return { token: config.adminToken, from: 'ADMIN_TOKEN' }
  const path = adminTokenPath(root, config)
  const kept = readPrivate(path)
  if (kept) return { token: kept, from: 'file', path }
  mkdirSync(join(root, 'var', 'admin'), { recursive: true, mode: 0o700 })
  const token = randomBytes(32).toString('base64url')
  writeFileSync(path, `${token}\n`, { mode: OWNER_ONLY })
  // `mode` applies only when the file is created; an existing one gets it here.
  chmodSync(path, OWNER_ONLY)
  return { token, from: 'file', path }
}

/** The token in a file only its owner can read, or undefined (no file, empty, or exposed). */
function readPrivate(path: string): string | undefined {
  let mode: number
  try {
    mode = statSync(path).mode
  } catch {
    return undefined
  }
  if ((mode & 0o077) !== 0) return undefined
  return readFileSync(path, 'utf8').trim() || undefined
}

/** Where a command's token came from, so a refusal can say what to do. */
export type ClientToken =
  | { readonly token: string; readonly from: 'ADMIN_TOKEN' }
  | { readonly token: string; readonly from: 'file'; readonly path: string }
  | { readonly token: undefined; readonly from: 'none'; readonly path: string }

/** The token a command sends to the platform process: ADMIN_TOKEN, else the process's file. */
export function clientAdminToken(root: string, config: PlatformConfig): ClientToken {
  if (config.adminToken) return { token: config.adminToken, from: 'ADMIN_TOKEN' }
  const path = adminTokenPath(root, config)
  const token = readPrivate(path)
  return token ? { token, from: 'file', path } : { token: undefined, from: 'none', path }
}

/**
 * What to do when the platform at `url` refused the token: `reason` is the API's
 * `extensions.reason` (NO_ADMIN_TOKEN: the process serves no mutations at all).
 */
export function refusedTokenAdvice(
  sent: ClientToken,
  url: string,
  reason: string | undefined,
): string {
  if (reason === 'NO_ADMIN_TOKEN') {
    return `the platform process at ${url} serves no mutations (started without ADMIN_TOKEN by kappa serve, which makes no token file): restart it with ADMIN_TOKEN set, and set the same ADMIN_TOKEN here`
  }
  switch (sent.from) {
    case 'ADMIN_TOKEN':
      return `ADMIN_TOKEN here is not the token of the platform process at ${url}: set it to the ADMIN_TOKEN that process was started with, or unset it to use the token file kappa demo / kappa run --api write when started without one`
    case 'file':
      return `the token in ${sent.path} is not the one the platform process at ${url} accepts (it was started with ADMIN_TOKEN set): set ADMIN_TOKEN here to that token`
    case 'none':
      return `no token was sent: there is no ${sent.path}, which kappa demo / kappa run --api write for their KAPPA_NAMESPACE and HTTP_PORT when started without ADMIN_TOKEN; run this with the KAPPA_NAMESPACE and HTTP_PORT the platform process was started with, or, if it was started with ADMIN_TOKEN, set ADMIN_TOKEN here to that token`
  }
}

/**
 * The config a process that serves mutations runs with: its admin token filled in (ADMIN_TOKEN
 * or its token file), and where the token is logged, so a person knows where to find it.
 */
export function servingConfig(
  root: string,
  config: PlatformConfig,
  logger: Logger,
): { config: PlatformConfig; served: ServedToken } {
  const served = serveAdminToken(root, config)
  if (served.from === 'file') {
    logger.info(
      { tokenFile: served.path },
      'admin token for mutations in a file only you can read; kappa replay, swap, rollback and drop on this machine read it',
    )
  }
  return { config: { ...config, adminToken: served.token }, served }
}
