import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type * as dashboard from '@grafana/grafana-foundation-sdk/dashboard'
import { deliveryMonitor } from './delivery-monitor.ts'
import { pipelineHealth } from './pipeline-health.ts'
import { salesDetail } from './sales-detail.ts'

/** Every dashboard, by the file it is provisioned from (provisioning/dashboards/json/). */
export const dashboards: Readonly<Record<string, () => dashboard.Dashboard>> = {
  'pipeline-health.json': pipelineHealth,
  'sales-detail.json': salesDetail,
  'delivery-monitor.json': deliveryMonitor,
}

/** A dashboard as JSON text (generate.ts then lets Biome lay it out). */
export const renderDashboard = (built: dashboard.Dashboard): string =>
  `${JSON.stringify(built, null, 2)}\n`

/** Where the committed JSON lives. */
export const dashboardsJsonDir = join(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  'provisioning',
  'dashboards',
  'json',
)
