/** Figures as the console shows them: the server sends numbers, the client words them. */
import { fmtFixed, fmtNumber, t } from "../i18n";
import type { Figure } from "../types";

/** Indicator codes in the order DOMAIN.md lists them, the monitored ones after. */
export const INDICATORS = [
  "routine_care",
  "greetings_on_time",
  "privilege_awareness",
  "offer_participation",
  "retention_contract_rate",
  "value_retained",
  "customers_retained",
  "satisfaction",
  "contact_coverage",
  "complaints_on_time",
  "overdue_tasks",
  "open_warnings",
  "warnings_kept",
] as const;

export type Indicator = (typeof INDICATORS)[number];

export function indicatorName(code: string): string {
  return (INDICATORS as readonly string[]).includes(code)
    ? t(`numbers.indicator.${code as Indicator}`)
    : code;
}

/** 0.8182 as "81.8%", a satisfaction of 4.25 as "4.25", a count as "3"; null is "no data". */
export function fmtValue(value: number | null | undefined, unit: Figure["unit"]): string {
  if (value === null || value === undefined) return t("console.noData");
  if (unit === "ratio") return `${fmtFixed(value * 100, 1)}%`;
  if (unit === "score") return fmtFixed(value, 2);
  return fmtNumber(value);
}

export function fmtFigure(figure: Figure | undefined): string {
  return figure ? fmtValue(figure.value, figure.unit) : t("console.noData");
}

/** A score out of 100 (one decimal), or "no data". */
export function fmtScore(score: number | null | undefined): string {
  return score === null || score === undefined ? t("console.noData") : fmtFixed(score, 1);
}

/** A target, floor or cap as the scorecard holds it, in the indicator's unit. */
export function unitOf(code: string): Figure["unit"] {
  if (code === "satisfaction") return "score";
  if (code === "overdue_tasks" || code === "open_warnings") return "count";
  return "ratio";
}
