/**
 * Review figures as both pages show them (the phone's "My numbers", the console's
 * dashboard, drill-down and reviews): the indicators' order and names, and how a
 * ratio, a score, a count or "no data" reads. The server sends codes and numbers; this
 * words them. Only the i18n core and the shared `numbers` vocabulary come with it, so
 * neither page's own words ride in the other's bundle.
 */
import { fmtFixed, fmtNumber, locale, translator } from "./i18n/core";
import { numbers } from "./i18n/messages/numbers";

const words = translator([numbers]);

/** The indicators in the order a review shows them (server/reviews/indicators.py `CODES`). */
export const INDICATOR_CODES = [
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

/** ratio: 0..1, shown as a percentage; score: 1..5; count: a whole number. */
export type FigureUnit = "ratio" | "score" | "count";

/** An indicator's name in the current language; a code this client does not know, as is. */
export function indicatorName(code: string): string {
  const key = `numbers.indicator.${code}`;
  return words.hasMessage(key) ? words.t(key) : code;
}

/** "No data": what a null figure or score shows, never 0. */
export function noData(): string {
  return words.t("numbers.noData");
}

/** 0.8182 as "81.8%", a satisfaction of 4.25 as "4.25", a count as "3"; null is "no data". */
export function fmtValue(value: number | null | undefined, unit: FigureUnit): string {
  if (value === null || value === undefined) return noData();
  switch (unit) {
    case "ratio":
      return new Intl.NumberFormat(locale(), {
        style: "percent",
        minimumFractionDigits: 1,
        maximumFractionDigits: 1,
      }).format(value);
    case "score":
      return fmtFixed(value, 2);
    default:
      return fmtNumber(value);
  }
}

/** A figure's value in its unit (`fmtValue`); no figure at all is "no data" too. */
export function fmtFigure(
  figure: { value: number | null; unit: FigureUnit } | null | undefined,
): string {
  return figure ? fmtValue(figure.value, figure.unit) : noData();
}

/** A score or points out of 100, one decimal; null is "no data". */
export function fmtScore(score: number | null | undefined): string {
  return score === null || score === undefined ? noData() : fmtFixed(score, 1);
}
