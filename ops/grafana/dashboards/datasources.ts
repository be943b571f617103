import type * as common from '@grafana/grafana-foundation-sdk/common'

/**
 * The datasources provisioning/datasources/datasources.yml creates. Dashboards name them by
 * these uids only, so a dashboard works on any Grafana provisioned from that file.
 */
export const prometheusDatasource: common.DataSourceRef = { type: 'prometheus', uid: 'prometheus' }

export const clickhouseDatasource: common.DataSourceRef = {
  type: 'grafana-clickhouse-datasource',
  uid: 'clickhouse',
}
