/**
 * Line and bar charts with Apache ECharts (only the parts used, SVG renderer: crisp, light, and
 * readable by the accessibility tree through ECharts' aria description). Every chart has its
 * data in a table next to it (the pages' "table behind every chart").
 */
import { BarChart, LineChart } from 'echarts/charts';
import { AriaComponent, GridComponent, LegendComponent, TooltipComponent } from 'echarts/components';
import * as echarts from 'echarts/core';
import { SVGRenderer } from 'echarts/renderers';

echarts.use([
  LineChart,
  BarChart,
  GridComponent,
  TooltipComponent,
  LegendComponent,
  AriaComponent,
  SVGRenderer,
]);

/** DSFR illustrative colours (distinct, AA on white for lines). */
export const SERIES_COLOURS = ['#000091', '#009081', '#c3992a', '#ce0500', '#716043'];

export interface ChartSeries {
  name: string;
  /** null: not known (hidden by statistical secrecy): a gap in the line. */
  values: (number | null)[];
}

const nf = new Intl.NumberFormat('fr-FR');

/** Draws (or redraws) a chart in `el`; returns it (resized with the window). */
export function drawChart(
  el: HTMLElement,
  kind: 'line' | 'bar',
  labels: string[],
  series: ChartSeries[],
  description: string,
  colours: readonly string[] = SERIES_COLOURS,
): echarts.ECharts {
  const chart = echarts.getInstanceByDom(el) ?? echarts.init(el, undefined, { renderer: 'svg' });
  chart.setOption(
    {
      aria: { enabled: true, label: { description } },
      color: [...colours],
      animation: false,
      textStyle: { fontFamily: 'Marianne, arial, sans-serif' },
      tooltip: {
        trigger: 'axis',
        valueFormatter: (v: unknown) => (v == null ? 'n.d.' : nf.format(Number(v))),
      },
      legend: { type: 'scroll', top: 0 },
      grid: { left: 8, right: 16, top: 40, bottom: 8, containLabel: true },
      xAxis: { type: 'category', data: labels, boundaryGap: kind === 'bar' },
      yAxis: { type: 'value', axisLabel: { formatter: (v: number) => nf.format(v) } },
      series: series.map((s) => ({
        name: s.name,
        type: kind,
        data: s.values,
        connectNulls: false,
        showSymbol: labels.length <= 36,
        symbolSize: 5,
      })),
    },
    true,
  );
  if (!(el as HTMLElement & { tdbResize?: boolean }).tdbResize) {
    (el as HTMLElement & { tdbResize?: boolean }).tdbResize = true;
    new ResizeObserver(() => chart.resize()).observe(el);
  }
  return chart;
}
