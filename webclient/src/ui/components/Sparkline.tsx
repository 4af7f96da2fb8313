import { fmtMoney, t } from "../../i18n";
import { fmtMonth } from "./format";

/**
 * Monthly spend as a tiny line, with its meaning in words for screen readers:
 * first and last month, and the change between them.
 */
export function Sparkline({
  months,
  values,
  width = 120,
  height = 32,
}: {
  /** YYYY-MM-01, oldest first. */
  months: string[];
  /** Decimal strings, one per month; null for a month without figures. */
  values: (string | null)[];
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
  const label = t("spend.trend", {
    from: fmtMoney(first.v),
    fromMonth: fmtMonth(first.month),
    to: fmtMoney(last.v),
    toMonth: fmtMonth(last.month),
    change: change > 0 ? `+${change}` : String(change),
  });
  const max = Math.max(...points.map((p) => p.v));
  const min = Math.min(...points.map((p) => p.v));
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
      aria-label={label}
      width={width}
      height={height}
      viewBox={`0 0 ${width} ${height}`}
    >
      <title>{label}</title>
      <path d={path.join(" ")} fill="none" stroke="currentColor" stroke-width="2" />
      <circle cx={lx} cy={ly} r="3" fill="currentColor" />
    </svg>
  );
}
