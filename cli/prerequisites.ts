/**
 * What the demo and the tests need from the machine beyond `npm ci`, each with how to find it
 * and how to get it. `kappa setup` (npm run setup) installs them; `npm test` checks the ones its
 * selected files need before it runs anything, and names each one missing.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync } from 'node:fs'
import { join } from 'node:path'

export interface Prerequisite {
  readonly name: string
  /** Who needs it, for the message that it is missing. */
  readonly usedBy: string
  /** Where it was looked for, for the same message: "on PATH", "at /usr/bin/chromium". */
  readonly lookedAt: string
  readonly present: () => boolean
  /** The Debian package that brings it, when that is how it is installed. */
  readonly debianPackage?: string
  /** The command that installs it alone. */
  readonly install: string
}

const onPath = (command: string) =>
  spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0

/** Where the browser tests find Chromium: CHROMIUM_PATH, else Debian's. */
export const chromiumPath = (env: NodeJS.ProcessEnv = process.env): string =>
  env.CHROMIUM_PATH ?? '/usr/bin/chromium'

export function prerequisites(root: string, env: NodeJS.ProcessEnv = process.env) {
  const kafkaLibs = join(root, '.cache', 'kafka', 'libs')
  const registryJar = join(root, '.cache', 'registry', 'target', 'quarkus-app', 'quarkus-run.jar')
  return {
    java: {
      name: 'java',
      usedBy: 'Kafka and the schema registry (local-process stack)',
      lookedAt: 'on PATH',
      present: () => onPath('java'),
      debianPackage: 'openjdk-17-jdk-headless',
      install: 'apt-get install -y openjdk-17-jdk-headless (any JDK 17+)',
    },
    maven: {
      name: 'mvn',
      usedBy: 'ops/install.sh, which fetches Kafka and the registry from Maven Central',
      lookedAt: 'on PATH',
      present: () => onPath('mvn'),
      debianPackage: 'maven',
      install: 'apt-get install -y maven',
    },
    artifacts: {
      name: 'Kafka and schema-registry artifacts',
      usedBy: 'the local-process stack and the tests that start brokers of their own',
      lookedAt: `at ${kafkaLibs}, ${registryJar}`,
      present: () =>
        existsSync(registryJar) &&
        existsSync(kafkaLibs) &&
        readdirSync(kafkaLibs).some((f) => /^kafka_2\.13-.*\.jar$/.test(f)),
      install: 'bash ops/install.sh',
    },
    chromium: {
      name: 'chromium',
      usedBy: 'the console and GraphiQL tests, in a real browser through playwright-core',
      lookedAt: `at ${chromiumPath(env)} (CHROMIUM_PATH)`,
      present: () => existsSync(chromiumPath(env)),
      debianPackage: 'chromium',
      install: 'apt-get install -y chromium',
    },
    prometheus: {
      name: 'prometheus and promtool',
      usedBy: 'the alert-rule, scrape and dashboard-query tests',
      lookedAt: 'on PATH',
      present: () => onPath('prometheus') && onPath('promtool'),
      debianPackage: 'prometheus',
      install: 'apt-get install -y prometheus',
    },
  } as const satisfies Record<string, Prerequisite>
}

export type PrerequisiteName = keyof ReturnType<typeof prerequisites>

/**
 * What a test file needs, read from what it uses: the browser and Prometheus helpers, and for
 * an integration test the local stack's Java and artifacts (unless the environment names
 * services to use instead).
 */
export function neededBy(
  file: string,
  source: string,
  env: NodeJS.ProcessEnv = process.env,
): PrerequisiteName[] {
  const needs: PrerequisiteName[] = []
  if (source.includes('support/browser.ts')) needs.push('chromium')
  if (source.includes('support/prometheus.ts')) needs.push('prometheus')
  const servicesGiven = Boolean(env.KAFKA_BROKERS && env.SCHEMA_REGISTRY_URL)
  if (file.endsWith('.integration.test.ts') && !servicesGiven) needs.push('java', 'artifacts')
  return needs
}

/** One line per missing prerequisite: what it is, who needs it, where it was looked for, the fix. */
export function missingReport(missing: readonly Prerequisite[]): string {
  return missing
    .map(
      (p) =>
        `  ${p.name}, for ${p.usedBy}: not found ${p.lookedAt}; npm run setup installs it (alone: ${p.install})`,
    )
    .join('\n')
}
