import assert from 'node:assert/strict'
import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import {
  closeSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TestContext } from 'node:test'
import { parse, stringify } from 'yaml'
import { createMetricsRegistry } from '../../core/metrics.ts'
import { freePort } from './job-process.ts'
import { eventually } from './platform.ts'
import { repoRoot } from './stack.ts'

export const prometheusDir = join(repoRoot, 'ops', 'prometheus')
export const rulesDir = join(prometheusDir, 'rules')

/**
 * The path of a Prometheus tool. Missing, the test fails (it is never skipped): CI installs
 * Debian's prometheus package, which brings both.
 */
export function requireTool(name: 'promtool' | 'prometheus'): string {
  const found = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' })
  assert.ok(
    found.status === 0 && found.stdout.trim(),
    `${name} is not on PATH: install Debian's prometheus package (apt-get install -y prometheus), as .ci/run does`,
  )
  return found.stdout.trim()
}

/** Runs promtool; the result's output joins stdout and stderr for assertion messages. */
export function promtool(args: readonly string[], cwd = prometheusDir) {
  const run = spawnSync(requireTool('promtool'), args, { cwd, encoding: 'utf8' })
  return { status: run.status, output: `${run.stdout}${run.stderr}` }
}

export interface AlertRule {
  readonly alert: string
  readonly expr: string
  readonly for?: string
  readonly labels?: Record<string, string>
  readonly annotations?: Record<string, string>
}

export const ruleFiles = (): string[] =>
  readdirSync(rulesDir)
    .filter((f) => f.endsWith('.yml'))
    .map((f) => join(rulesDir, f))

/** Every alerting rule of ops/prometheus/rules/. */
export function alertRules(): AlertRule[] {
  return ruleFiles().flatMap((file) => {
    const { groups } = parse(readFileSync(file, 'utf8')) as {
      groups: Array<{ rules: AlertRule[] }>
    }
    return groups.flatMap((g) => g.rules.filter((r) => r.alert))
  })
}

/** Where metrics are declared: `new Counter({ name: 'kappa_…'`, in any source folder. */
const METRIC_SOURCES = ['core', 'sinks', 'streams', 'api', 'cli', 'replay']
const DECLARATION = /new (Counter|Gauge|Histogram|Summary)\(\{\s*name:\s*'([a-zA-Z_:][\w:]*)'/g

function sourceFiles(dir: string): string[] {
  let entries: string[]
  try {
    entries = readdirSync(dir)
  } catch {
    return []
  }
  return entries.flatMap((name) => {
    const path = join(dir, name)
    if (name.endsWith('.ts')) return [path]
    return name.includes('.') ? [] : sourceFiles(path)
  })
}

/** The series names a metric of this type exposes. */
const seriesNames = (type: string, name: string): string[] => {
  if (type === 'histogram') return [`${name}_bucket`, `${name}_sum`, `${name}_count`]
  if (type === 'summary') return [name, `${name}_sum`, `${name}_count`]
  return [name]
}

/**
 * Every series name the platform can expose: the metrics its source declares, and
 * prom-client's default process metrics as the platform's registry names them.
 */
export async function declaredSeriesNames(): Promise<Set<string>> {
  const names = new Set<string>()
  for (const file of METRIC_SOURCES.flatMap((d) => sourceFiles(join(repoRoot, d)))) {
    for (const [, type, name] of readFileSync(file, 'utf8').matchAll(DECLARATION)) {
      for (const series of seriesNames(type!.toLowerCase(), name!)) names.add(series)
    }
  }
  for (const metric of await createMetricsRegistry().getMetricsAsJSON()) {
    // prom-client types `type` as a numeric enum but reports the exposition name (`histogram`).
    for (const series of seriesNames(String(metric.type), metric.name)) names.add(series)
  }
  return names
}

/** A Prometheus server on a free port, scraping `target` every second with the platform's rules. */
export interface RunningPrometheus {
  readonly url: string
  readonly logFile: string
  /** GET /api/v1/<path>; fails unless Prometheus answers `success`. */
  api<T>(path: string, params?: Record<string, string>): Promise<T>
}

/**
 * Starts Debian's prometheus with ops/prometheus/prometheus.local.yml, its target replaced by
 * `target` and its intervals cut to 1 s, storage in a temporary folder; stopped when the test
 * ends.
 */
export async function startPrometheus(t: TestContext, target: string): Promise<RunningPrometheus> {
  const binary = requireTool('prometheus')
  const dir = mkdtempSync(join(tmpdir(), 'kappa-prometheus-'))
  const config = parse(readFileSync(join(prometheusDir, 'prometheus.local.yml'), 'utf8'))
  config.global = { ...config.global, scrape_interval: '1s', evaluation_interval: '1s' }
  config.rule_files = [join(rulesDir, '*.yml')]
  config.scrape_configs[0].static_configs = [{ targets: [target] }]
  writeFileSync(join(dir, 'prometheus.yml'), stringify(config))
  const port = await freePort()
  const logFile = join(dir, 'prometheus.log')
  const out = openSync(logFile, 'a')
  const child: ChildProcess = spawn(
    binary,
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
    ],
    { stdio: ['ignore', out, out] },
  )
  closeSync(out)
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  t.after(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
    await exited
    rmSync(dir, { recursive: true, force: true })
  })
  const url = `http://127.0.0.1:${port}`
  await eventually(
    async () => {
      assert.equal(child.exitCode, null, `prometheus exited:\n${readFileSync(logFile, 'utf8')}`)
      return (await fetch(`${url}/-/ready`)).ok ? true : undefined
    },
    { timeoutMs: 30_000, what: `prometheus to be ready (${logFile})` },
  )
  return {
    url,
    logFile,
    async api<T>(path: string, params: Record<string, string> = {}) {
      const response = await fetch(`${url}/api/v1/${path}?${new URLSearchParams(params)}`)
      const body = (await response.json()) as { status: string; data: T; error?: string }
      assert.equal(body.status, 'success', `${path} ${JSON.stringify(params)}: ${body.error}`)
      return body.data
    },
  }
}
