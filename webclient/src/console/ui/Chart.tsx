import { useEffect, useRef, useState } from "preact/hooks";
import { locale, t } from "../i18n";
import type { ChartOption } from "../charts/echarts";

type Charts = typeof import("../charts/echarts");
let loading: Promise<Charts> | null = null;

/** ECharts in its own chunk, fetched the first time a chart is shown. */
function charts(): Promise<Charts> {
  loading ??= import("../charts/echarts").catch((err: unknown) => {
    loading = null;
    throw err;
  });
  return loading;
}

/**
 * A chart: the canvas for the eye, `label` (a sentence with the figures) for a screen
 * reader, since a canvas says nothing by itself. Follows its box's size.
 */
export function Chart({
  option,
  label,
  height = 260,
  testid,
}: {
  option: ChartOption;
  label: string;
  height?: number;
  testid?: string;
}) {
  const box = useRef<HTMLDivElement>(null);
  const [failed, setFailed] = useState(false);
  const lang = locale();

  useEffect(() => {
    let disposed = false;
    let cleanup = () => {};
    charts().then(
      ({ init }) => {
        if (disposed || !box.current) return;
        const chart = init(box.current, lang);
        chart.setOption({ animation: false, ...option });
        const observer = new ResizeObserver(() => chart.resize());
        observer.observe(box.current);
        cleanup = () => {
          observer.disconnect();
          chart.dispose();
        };
      },
      () => setFailed(true),
    );
    return () => {
      disposed = true;
      cleanup();
    };
  }, [option, lang]);

  return (
    <figure class="cn-chart" data-testid={testid}>
      <div ref={box} role="img" aria-label={label} style={{ height: `${height}px` }} />
      {failed && <p class="cn-muted">{t("console.screenFailed")}</p>}
    </figure>
  );
}
