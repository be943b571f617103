import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { promisify } from 'node:util'
import { Kafka, logLevel } from 'kafkajs'
import type { Logger } from '../../core/logger.ts'
import {
  notInstalled,
  servicePid,
  spawnDetached,
  startFailure,
  stopProcess,
  tcpOpen,
  waitServiceReady,
} from './process.ts'

const run = promisify(execFile)
const HOST = '127.0.0.1'

export interface KafkaNodeOptions {
  readonly root: string
  readonly stateDir: string
  readonly port: number
  readonly controllerPort: number
  readonly readyTimeoutMs: number
  readonly logger: Logger
}

export function kafkaPaths(o: Pick<KafkaNodeOptions, 'root' | 'stateDir'>) {
  const dir = join(o.stateDir, 'kafka')
  const serverProperties = join(dir, 'server.properties')
  return {
    libs: join(o.root, '.cache', 'kafka', 'libs'),
    dir,
    dataDir: join(dir, 'data'),
    serverProperties,
    log4jProperties: join(dir, 'log4j.properties'),
    pidFile: join(o.stateDir, 'pids', 'kafka.pid'),
    logFile: join(o.stateDir, 'logs', 'kafka.log'),
    // The server.properties path is unique per stateDir, so it identifies our broker's pid.
    markers: [serverProperties],
  }
}

export async function startKafka(o: KafkaNodeOptions): Promise<string> {
  const paths = kafkaPaths(o)
  const address = `${HOST}:${o.port}`
  const existing = servicePid(paths)
  if (existing === undefined && (await kafkaHealthy(o.port))) {
    o.logger.info({ service: 'kafka', address }, 'already served by another process; reusing it')
    return address
  }
  if (existing === undefined) {
    if (!kafkaInstalled(paths.libs)) {
      throw notInstalled('kafka', join(paths.libs, 'kafka_2.13-*.jar'))
    }
    writeConfig(o, paths)
    await formatStorage(o, paths)
    const pid = await spawnDetached({
      command: 'java',
      args: [
        '-Xmx512m',
        '-Djava.awt.headless=true',
        `-Dlog4j.configuration=file:${paths.log4jProperties}`,
        '-cp',
        join(paths.libs, '*'),
        'kafka.Kafka',
        paths.serverProperties,
      ],
      cwd: paths.dir,
      logFile: paths.logFile,
      pidFile: paths.pidFile,
    })
    o.logger.info({ service: 'kafka', pid, address, logFile: paths.logFile }, 'started')
  }
  await waitServiceReady('kafka', paths, o.readyTimeoutMs, () => kafkaHealthy(o.port))
  return address
}

export function stopKafka(o: Pick<KafkaNodeOptions, 'root' | 'stateDir' | 'logger'>) {
  // A controlled shutdown flushes and closes every partition; give it time before SIGKILL.
  return stopProcess('kafka', kafkaPaths(o), 30_000, o.logger)
}

export function kafkaPid(o: Pick<KafkaNodeOptions, 'root' | 'stateDir'>): number | undefined {
  return servicePid(kafkaPaths(o))
}

/** Port open and the broker answers a metadata request (it accepts TCP before it is usable). */
export async function kafkaHealthy(port: number): Promise<boolean> {
  if (!(await tcpOpen(HOST, port))) return false
  const admin = new Kafka({
    clientId: 'local-stack-probe',
    brokers: [`${HOST}:${port}`],
    logLevel: logLevel.NOTHING,
    connectionTimeout: 1000,
    requestTimeout: 2000,
    retry: { retries: 0 },
  }).admin()
  try {
    await admin.connect()
    const { brokers } = await admin.describeCluster()
    return brokers.length > 0
  } catch {
    return false
  } finally {
    await admin.disconnect().catch(() => undefined)
  }
}

/** Whether `ops/install.sh` has put the broker's jars in `libs` (`kafkaPaths(…).libs`). */
export function kafkaInstalled(libs: string): boolean {
  return existsSync(libs) && readdirSync(libs).some((f) => /^kafka_2\.13-.*\.jar$/.test(f))
}

/** Rewritten on every start so port changes apply; data in log.dirs is unaffected. */
function writeConfig(o: KafkaNodeOptions, paths: ReturnType<typeof kafkaPaths>): void {
  mkdirSync(paths.dataDir, { recursive: true })
  mkdirSync(dirname(paths.logFile), { recursive: true })
  const server = {
    'process.roles': 'broker,controller',
    'node.id': 1,
    'controller.quorum.voters': `1@${HOST}:${o.controllerPort}`,
    listeners: `PLAINTEXT://${HOST}:${o.port},CONTROLLER://${HOST}:${o.controllerPort}`,
    'advertised.listeners': `PLAINTEXT://${HOST}:${o.port}`,
    'controller.listener.names': 'CONTROLLER',
    'inter.broker.listener.name': 'PLAINTEXT',
    'listener.security.protocol.map': 'CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
    'log.dirs': paths.dataDir,
    'num.partitions': 1,
    // Topics come from the catalogue (ops/topics.ts); a typo must fail, not create a topic.
    'auto.create.topics.enable': false,
    'offsets.topic.replication.factor': 1,
    'transaction.state.log.replication.factor': 1,
    'transaction.state.log.min.isr': 1,
    'group.initial.rebalance.delay.ms': 0,
    // The cleaner otherwise idles 15s between passes; compaction tests would wait on it.
    'log.cleaner.backoff.ms': 1000,
  }
  writeFileSync(paths.serverProperties, toProperties(server))
  const log4j = {
    'log4j.rootLogger': 'INFO, stdout',
    'log4j.appender.stdout': 'org.apache.log4j.ConsoleAppender',
    'log4j.appender.stdout.layout': 'org.apache.log4j.PatternLayout',
    'log4j.appender.stdout.layout.ConversionPattern': '[%d] %p %m (%c)%n',
    'log4j.logger.kafka.request.logger': 'WARN',
    'log4j.logger.state.change.logger': 'WARN',
  }
  writeFileSync(paths.log4jProperties, toProperties(log4j))
}

function toProperties(entries: Record<string, string | number | boolean>): string {
  return `${Object.entries(entries)
    .map(([k, v]) => `${k}=${v}`)
    .join('\n')}\n`
}

/** KRaft refuses to start on an unformatted log dir; format once with a fresh cluster id. */
async function formatStorage(o: KafkaNodeOptions, paths: ReturnType<typeof kafkaPaths>) {
  if (existsSync(join(paths.dataDir, 'meta.properties'))) return
  // Kafka cluster ids are 16 random bytes, base64url without padding (what random-uuid prints).
  const clusterId = randomBytes(16).toString('base64url')
  const args = [
    `-Dlog4j.configuration=file:${paths.log4jProperties}`,
    '-cp',
    join(paths.libs, '*'),
    'kafka.tools.StorageTool',
    'format',
    '-t',
    clusterId,
    '-c',
    paths.serverProperties,
  ]
  try {
    await run('java', args, { cwd: paths.dir, timeout: 120_000 })
  } catch (error) {
    const output = error as { stdout?: string; stderr?: string }
    writeFileSync(paths.logFile, `${output.stdout ?? ''}${output.stderr ?? ''}`, { flag: 'a' })
    throw await startFailure('kafka', paths.logFile, 'storage format failed', error)
  }
  o.logger.info({ service: 'kafka', clusterId, dataDir: paths.dataDir }, 'formatted storage')
}
