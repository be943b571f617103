import type * as cog from '@grafana/grafana-foundation-sdk/cog'
import { DataqueryBuilder } from '@grafana/grafana-foundation-sdk/prometheus'
import { prometheusDatasource } from './datasources.ts'

/** A PromQL target on the provisioned Prometheus; refIds follow the panel's order. */
export function promQuery(
  expr: string,
  legend: string,
  options: { refId?: string; instant?: boolean } = {},
): cog.Builder<cog.Dataquery> {
  const query = new DataqueryBuilder()
    .datasource(prometheusDatasource)
    .refId(options.refId ?? 'A')
    .expr(expr)
    .legendFormat(legend)
  return options.instant ? query.instant() : query.range()
}
