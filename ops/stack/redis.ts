import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { Redis } from 'ioredis'
import { PlatformError } from '../../core/errors.ts'
import type { Logger } from '../../core/logger.ts'
import {
  servicePid,
  spawnDetached,
  startFailure,
  stopProcess,
  waitServiceReady,
} from './process.ts'

export interface RedisNodeOptions {
  readonly stateDir: string
  readonly url: string
  readonly readyTimeoutMs: number
  readonly logger: Logger
}

export function redisPaths(o: Pick<RedisNodeOptions, 'stateDir' | 'url'>) {
  const port = new URL(o.url).port || '6379'
  return {
    port,
    dir: join(o.stateDir, 'redis'),
    pidFile: join(o.stateDir, 'pids', 'redis.pid'),
    logFile: join(o.stateDir, 'logs', 'redis.log'),
    // redis-server soon rewrites its argv to the title "redis-server 127.0.0.1:<port>", so only
    // the binary name and the port are on its command line both before and after.
    markers: ['redis-server', port],
  }
}

/** Uses whatever already answers at `url` (e.g. a system redis); otherwise starts one. */
export async function startRedis(o: RedisNodeOptions): Promise<string> {
  const paths = redisPaths(o)
  if (await redisHealthy(o.url)) {
    const pid = servicePid(paths)
    o.logger.info({ service: 'redis', url: o.url, pid }, pid ? 'already running' : 'using existing')
    return o.url
  }
  const { hostname } = new URL(o.url)
  if (hostname !== '127.0.0.1' && hostname !== 'localhost') {
    throw new PlatformError(
      'SERVICE_START_FAILED',
      `redis at ${o.url} is not answering, and only a local redis can be started here`,
      { context: { service: 'redis', url: o.url } },
    )
  }
  mkdirSync(paths.dir, { recursive: true })
  const args = ['--port', paths.port, '--bind', '127.0.0.1', '--dir', paths.dir]
  // A scratch cache for tests and demos: no snapshots, no append-only file.
  args.push('--save', '', '--appendonly', 'no', '--daemonize', 'no')
  // Evicting a state key or checkpoint would lose it silently; a full Redis must refuse instead.
  args.push('--maxmemory-policy', 'noeviction')
  let pid: number
  try {
    pid = await spawnDetached({
      command: 'redis-server',
      args,
      cwd: paths.dir,
      logFile: paths.logFile,
      pidFile: paths.pidFile,
    })
  } catch (error) {
    throw await startFailure(
      'redis',
      paths.logFile,
      'could not be started (run `bash ops/install.sh`)',
      error,
    )
  }
  o.logger.info({ service: 'redis', pid, url: o.url, logFile: paths.logFile }, 'started')
  await waitServiceReady('redis', paths, o.readyTimeoutMs, () => redisHealthy(o.url))
  return o.url
}

/** Stops only a redis-server this stack started; a system redis is left alone. */
export function stopRedis(o: Pick<RedisNodeOptions, 'stateDir' | 'url' | 'logger'>) {
  return stopProcess('redis', redisPaths(o), 10_000, o.logger)
}

export function redisPid(o: Pick<RedisNodeOptions, 'stateDir' | 'url'>): number | undefined {
  return servicePid(redisPaths(o))
}

export async function redisHealthy(url: string): Promise<boolean> {
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: 1000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableOfflineQueue: false,
  })
  // Without a listener ioredis reports connection errors as unhandled 'error' events.
  client.on('error', () => undefined)
  try {
    await client.connect()
    return (await client.ping()) === 'PONG'
  } catch {
    return false
  } finally {
    client.disconnect()
  }
}
