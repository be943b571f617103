import type * as cog from '@grafana/grafana-foundation-sdk/cog'
import type * as common from '@grafana/grafana-foundation-sdk/common'
import { clickhouseDatasource } from './datasources.ts'

/**
 * A raw-SQL query of the grafana-clickhouse-datasource v4 plugin, which the foundation SDK has
 * no builder for. `format` is the number the plugin's backend reads (sqlds: 0 time series,
 * 1 table); `queryType` is the editor's name for the same choice.
 */
export interface ClickHouseQuery extends cog.Dataquery {
  readonly refId: string
  readonly datasource: common.DataSourceRef
  readonly editorType: 'sql'
  readonly queryType: 'table' | 'timeseries'
  readonly format: 0 | 1
  readonly rawSql: string
  readonly pluginVersion: string
}

/** Saved-with version: below 4.0.0 the plugin would migrate the query as a v3 one. */
const PLUGIN_VERSION = '4.0.0'

export function clickhouseQuery(
  sql: string,
  options: { refId?: string; queryType?: ClickHouseQuery['queryType'] } = {},
): cog.Builder<cog.Dataquery> {
  const queryType = options.queryType ?? 'table'
  const query: ClickHouseQuery = {
    refId: options.refId ?? 'A',
    datasource: clickhouseDatasource,
    editorType: 'sql',
    queryType,
    format: queryType === 'timeseries' ? 0 : 1,
    rawSql: dedent(sql),
    pluginVersion: PLUGIN_VERSION,
    _implementsDataqueryVariant() {},
  }
  return { build: () => query }
}

/**
 * Removes up to the first line's indentation from every line, so the SQL of a template literal
 * reads well in Grafana's editor.
 */
export function dedent(text: string): string {
  const lines = text.replace(/^\n+|\s+$/g, '').split('\n')
  const width = lines[0]!.match(/^ */)![0].length
  return lines.map((l) => l.slice(Math.min(width, l.match(/^ */)![0].length))).join('\n')
}
