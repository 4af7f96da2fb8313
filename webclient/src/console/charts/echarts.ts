/**
 * ECharts, as little of it as the console draws: bar and line charts on a grid with
 * tooltips, rendered to canvas. `echarts/core` with only these modules registered lets
 * the bundler drop every other chart type and component (the full `echarts` import is
 * about twice the size), and this file is only ever loaded with a dynamic import()
 * from a screen that shows a chart, so neither the phone's bundle nor the console's
 * first load carries it. Screen readers get each chart's figures from the label of
 * its container (ui/Chart.tsx), so ECharts' own aria component is not needed.
 */
import { BarChart, LineChart } from "echarts/charts";
import { GridComponent, TooltipComponent } from "echarts/components";
import * as echarts from "echarts/core";
import { CanvasRenderer } from "echarts/renderers";

echarts.use([BarChart, LineChart, GridComponent, TooltipComponent, CanvasRenderer]);

export type ChartOption = echarts.EChartsCoreOption;

export function init(element: HTMLElement, locale: string) {
  return echarts.init(element, undefined, {
    renderer: "canvas",
    locale: locale === "en" ? "EN" : "ZH",
  });
}
