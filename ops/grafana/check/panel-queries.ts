import type * as common from '@grafana/grafana-foundation-sdk/common'
import type * as dashboard from '@grafana/grafana-foundation-sdk/dashboard'

/** One query of one panel, with the text its datasource runs (SQL or PromQL). */
export interface PanelQuery {
  readonly dashboard: string
  readonly panel: dashboard.Panel
  readonly refId: string
  readonly datasource: common.DataSourceRef | undefined
  readonly language: 'sql' | 'promql'
  readonly text: string
}

type Target = Record<string, unknown> & { datasource?: common.DataSourceRef }

/** Every panel that shows data, including those inside collapsed rows. */
export function dataPanels(board: dashboard.Dashboard): dashboard.Panel[] {
  return (board.panels ?? []).flatMap((panel) =>
    panel.type === 'row' ? (panel as dashboard.RowPanel).panels : [panel as dashboard.Panel],
  )
}

export const targetsOf = (panel: dashboard.Panel): Target[] =>
  (panel.targets ?? []) as unknown as Target[]

export function panelQueries(board: dashboard.Dashboard): PanelQuery[] {
  return dataPanels(board).flatMap((panel) =>
    targetsOf(panel).map((target) => {
      const sql = typeof target.rawSql === 'string' ? target.rawSql : undefined
      const expr = typeof target.expr === 'string' ? target.expr : undefined
      if (sql === undefined && expr === undefined) {
        throw new Error(`${board.uid} / ${panel.title}: a target with neither rawSql nor expr`)
      }
      return {
        dashboard: board.uid ?? '',
        panel,
        refId: String(target.refId ?? ''),
        datasource: target.datasource ?? panel.datasource,
        language: sql === undefined ? ('promql' as const) : ('sql' as const),
        text: sql ?? expr!,
      }
    }),
  )
}

/** The panel and query, for messages. */
export const describeQuery = (q: PanelQuery) => `${q.dashboard} / ${q.panel.title} / ${q.refId}`
