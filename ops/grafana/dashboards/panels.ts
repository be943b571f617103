import { PanelBuilder as BarChartPanel } from '@grafana/grafana-foundation-sdk/barchart'
import type * as cog from '@grafana/grafana-foundation-sdk/cog'
import * as common from '@grafana/grafana-foundation-sdk/common'
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard'
import { PanelBuilder as StatPanel } from '@grafana/grafana-foundation-sdk/stat'
import { PanelBuilder as TablePanel } from '@grafana/grafana-foundation-sdk/table'
import { PanelBuilder as TimeSeriesPanel } from '@grafana/grafana-foundation-sdk/timeseries'

/**
 * Panel defaults shared by the dashboards: every panel says what question it answers
 * (description), shows a legend when it draws several series, and names its datasource.
 */
const legend = () =>
  new common.VizLegendOptionsBuilder()
    .showLegend(true)
    .displayMode(common.LegendDisplayMode.List)
    .placement(common.LegendPlacement.Bottom)

const tooltip = () =>
  new common.VizTooltipOptionsBuilder()
    .mode(common.TooltipDisplayMode.Multi)
    .sort(common.SortOrder.Descending)

interface PanelBasics {
  readonly title: string
  readonly description: string
  readonly datasource: common.DataSourceRef
}

export const timeSeriesPanel = ({ title, description, datasource }: PanelBasics, unit: string) =>
  new TimeSeriesPanel()
    .title(title)
    .description(description)
    .datasource(datasource)
    .unit(unit)
    .legend(legend())
    .tooltip(tooltip())

export const tablePanel = ({ title, description, datasource }: PanelBasics) =>
  new TablePanel().title(title).description(description).datasource(datasource)

export const barChartPanel = ({ title, description, datasource }: PanelBasics, unit: string) =>
  new BarChartPanel()
    .title(title)
    .description(description)
    .datasource(datasource)
    .unit(unit)
    .legend(legend())
    .tooltip(tooltip())

export const statPanel = ({ title, description, datasource }: PanelBasics, unit: string) =>
  new StatPanel()
    .title(title)
    .description(description)
    .datasource(datasource)
    .unit(unit)
    .colorMode(common.BigValueColorMode.Background)
    .graphMode(common.BigValueGraphMode.None)
    .reduceOptions(new common.ReduceDataOptionsBuilder().values(false).calcs(['lastNotNull']))

/** Green below `limit`, red from it: the panel shows where an alert threshold lies. */
export const redFrom = (limit: number) =>
  new dashboard.ThresholdsConfigBuilder().mode(dashboard.ThresholdsMode.Absolute).steps([
    { value: null, color: 'green' },
    { value: limit, color: 'red' },
  ])

/** Draws a panel's thresholds as dashed lines. */
export const dashedThresholds = () =>
  new common.GraphThresholdsStyleConfigBuilder().mode(common.GraphThresholdsStyleMode.Dashed)

/** Shows a 0/1 state gauge as words with colours. */
export const stateMapping = (
  states: Readonly<Record<'0' | '1', { text: string; color: string }>>,
): dashboard.ValueMapping => ({
  type: dashboard.MappingType.ValueToText,
  options: { '0': { ...states['0'], index: 0 }, '1': { ...states['1'], index: 1 } },
})

/**
 * Lays out titled sections, each an open row followed by its panels, and numbers every panel
 * (ids are what panel links and a panel's own URL use; the SDK leaves them unset).
 */
export function withRows(
  builder: dashboard.DashboardBuilder,
  rows: ReadonlyArray<readonly [string, ReadonlyArray<cog.Builder<dashboard.Panel>>]>,
): dashboard.Dashboard {
  for (const [title, panels] of rows) {
    builder.withRow(new dashboard.RowBuilder(title))
    for (const panel of panels) builder.withPanel(panel)
  }
  const built = builder.build()
  for (const [index, panel] of (built.panels ?? []).entries()) panel.id = index + 1
  return built
}
