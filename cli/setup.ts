import { spawnSync } from 'node:child_process'
import type { Command } from 'commander'
import { PlatformError } from '../core/errors.ts'
import { missingReport, type Prerequisite, prerequisites } from './prerequisites.ts'
import { installArtifacts } from './services.ts'

/** Runs a command with its output shown; fails with the command named. */
function run(command: string[]): void {
  const result = spawnSync(command[0]!, command.slice(1), { stdio: 'inherit' })
  if (result.status !== 0) {
    throw new PlatformError('SERVICE_START_FAILED', `${command.join(' ')} failed`, {
      context: { status: result.status },
    })
  }
}

/**
 * `kappa setup` (npm run setup): everything the demo and the tests need beyond `npm ci`, on a
 * Debian machine: the Debian packages that are missing (Java, Maven, Chromium, Prometheus),
 * then the Kafka and registry artifacts and Redis (ops/install.sh). Idempotent; quick when
 * everything is there.
 */
export async function setup(root: string): Promise<void> {
  const needed: readonly Prerequisite[] = Object.values(prerequisites(root))
  const packages = needed.flatMap((p) => (p.debianPackage && !p.present() ? [p.debianPackage] : []))
  if (packages.length > 0) {
    console.log(`[setup] installing from Debian: ${packages.join(', ')}`)
    const sudo = process.getuid?.() === 0 ? [] : ['sudo']
    run([...sudo, 'apt-get', 'update'])
    run([...sudo, 'env', 'DEBIAN_FRONTEND=noninteractive', 'apt-get', 'install', '-y', ...packages])
  }
  await installArtifacts(root)
  const missing = needed.filter((p) => !p.present())
  if (missing.length > 0) {
    throw new PlatformError(
      'SERVICE_START_FAILED',
      `still missing after setup:\n${missingReport(missing)}`,
    )
  }
  console.log('[setup] every tool the demo and the tests need is here')
}

export function registerSetupCommand(program: Command, root: string): void {
  program
    .command('setup')
    .description(
      'Install what the demo and the tests need beyond npm ci: Java, Maven, Chromium and Prometheus from Debian if missing, Kafka and the registry from Maven Central, Redis',
    )
    .action(() => setup(root))
}
