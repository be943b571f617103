import * as Plot from '@observablehq/plot'

/** Observable Plot with the console's defaults: SVG, system font, room for axis labels. */
export function plot(options: Plot.PlotOptions & { label: string }): Element {
  const { label, ...rest } = options
  const chart = Plot.plot({
    height: 260,
    marginLeft: 56,
    style: {
      fontSize: '12px',
      fontFamily: 'inherit',
      background: 'transparent',
      overflow: 'visible',
    },
    ...rest,
  })
  chart.setAttribute('role', 'img')
  chart.setAttribute('aria-label', label)
  chart.classList.add('plot')
  return chart
}

/** 'YYYY-MM' as the Date of its first day (UTC), for a time axis. */
export const monthDate = (month: string): Date => new Date(`${month}-01T00:00:00Z`)

export { Plot }
