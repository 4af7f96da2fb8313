import { fmtMoney, t } from "../../i18n";
import { fmtMonth } from "./format";

/**
 * A series by month as a tiny line, with its meaning in words for screen readers.
 * By default monthly spend: first and last month, and the change between them;
 * another series says what it shows in `label`.
 */
export function Sparkline({
  months,
  values,
  label,
  floor,
  ceiling,
  dots = false,
  width = 120,
  height = 32,
}: {
  /** YYYY-MM-01 (or YYYY-MM), oldest first. */
  months: string[];
  /** Numbers or decimal strings, one per month; null for a month without figures. */
  values: (number | string | null)[];
  /** The text alternative; default: the spend sentence. */
  label?: string;
  /** The vertical scale reaches at least down to `floor` and up to `ceiling`. */
  floor?: number;
  ceiling?: number;
  /** A dot on every month with a value (a short series with gaps), and a baseline at `floor`. */
  dots?: boolean;
  width?: number;
  height?: number;
}) {
  const points = values
    .map((value, i) => (value === null ? null : { i, v: Number(value), month: months[i]! }))
    .filter((p): p is { i: number; v: number; month: string } => p !== null);
  if (points.length === 0) return null;
  const first = points[0]!;
  const last = points[points.length - 1]!;
  const change = first.v === 0 ? 0 : Math.round(((last.v - first.v) / first.v) * 100);
  const text =
    label ??
    t("spend.trend", {
      from: fmtMoney(first.v),
      fromMonth: fmtMonth(first.month),
      to: fmtMoney(last.v),
      toMonth: fmtMonth(last.month),
      change: change > 0 ? `+${change}` : String(change),
    });
  const max = Math.max(...points.map((p) => p.v), ceiling ?? -Infinity);
  const min = Math.min(...points.map((p) => p.v), floor ?? Infinity);
  const span = max - min || 1;
  const pad = 3;
  const step = values.length > 1 ? (width - 2 * pad) / (values.length - 1) : 0;
  const xy = points.map((p) => [
    pad + p.i * step,
    height - pad - ((p.v - min) / span) * (height - 2 * pad),
  ]);
  const path = xy.map(([x, y], k) => `${k === 0 ? "M" : "L"}${x!.toFixed(1)} ${y!.toFixed(1)}`);
  const [lx, ly] = xy[xy.length - 1]!;
  return (
    <svg
      class={`fb-spark ${change < -9 ? "fb-spark-down" : ""}`}
      role="img"
      aria-label={text}
      width={width}
      height={height}
      viewBox={`0 0 ${width} ${height}`}
    >
      <title>{text}</title>
      {dots && (
        <line
          class="fb-spark-base"
          x1={pad}
          x2={width - pad}
          y1={height - pad}
          y2={height - pad}
          stroke-width="1"
        />
      )}
      <path d={path.join(" ")} fill="none" stroke="currentColor" stroke-width="2" />
      {dots && xy.map(([x, y], k) => <circle key={k} cx={x} cy={y} r="2.5" fill="currentColor" />)}
      <circle cx={lx} cy={ly} r="3" fill="currentColor" />
    </svg>
  );
}
