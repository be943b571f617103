// Keeps package-lock.json installable with `npm ci` from the package mirror these machines
// reach. That mirror serves only the linux-x64 builds of platform-specific optional packages
// (biome, chdb, esbuild binaries); npm therefore cannot record the others, and `npm ci` then
// rejects its own lock ("Missing: @biomejs/cli-darwin-arm64 from lock file"). This drops
// optional dependencies the lock has no entry for. Run after `npm install` (npm run lock:prune).
import { readFileSync, writeFileSync } from 'node:fs'

const path = new URL('../package-lock.json', import.meta.url)
const lock = JSON.parse(readFileSync(path, 'utf8'))
const packages = lock.packages

/** Node's resolution: the package's own node_modules first, then each ancestor's. */
function resolvable(parent, name) {
  let base = parent
  for (;;) {
    if (packages[`${base ? `${base}/` : ''}node_modules/${name}`]) return true
    if (!base) return false
    const cut = base.lastIndexOf('/node_modules/')
    base = cut >= 0 ? base.slice(0, cut) : ''
  }
}

let pruned = 0
for (const [at, entry] of Object.entries(packages)) {
  if (!entry.optionalDependencies) continue
  for (const name of Object.keys(entry.optionalDependencies)) {
    if (!resolvable(at, name)) {
      delete entry.optionalDependencies[name]
      pruned++
    }
  }
}
writeFileSync(path, `${JSON.stringify(lock, null, 2)}\n`)
console.log(`pruned ${pruned} unresolvable optional dependencies from package-lock.json`)
