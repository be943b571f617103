/**
 * `npm run dashboards`: writes every dashboard's JSON to provisioning/dashboards/json/, where
 * Grafana's file provider (provisioning/dashboards/dashboards.yml) loads them, formatted by
 * Biome as `npm run lint` wants it. The JSON is committed; test/ops/grafana-dashboards.test.ts
 * fails when it is stale.
 */
import { execFileSync } from 'node:child_process'
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { dashboards, dashboardsJsonDir as jsonDir, renderDashboard } from './index.ts'

mkdirSync(jsonDir, { recursive: true })
// A dashboard dropped from the catalogue must not stay provisioned.
for (const file of readdirSync(jsonDir)) {
  if (file.endsWith('.json') && !(file in dashboards)) rmSync(join(jsonDir, file))
}
const written = Object.entries(dashboards).map(([file, build]) => {
  writeFileSync(join(jsonDir, file), renderDashboard(build()))
  return join(jsonDir, file)
})
execFileSync('npx', ['biome', 'format', '--write', ...written], { stdio: 'inherit' })
