/**
 * Figures as the console shows them. How a value reads and the indicators' names are
 * the phone's too (src/figures.ts, through ../i18n); what only the console needs is here.
 */
import type { FigureUnit } from "../i18n";

/** A target, floor or cap as the scorecard holds it, in the indicator's unit. */
export function unitOf(code: string): FigureUnit {
  if (code === "satisfaction") return "score";
  if (code === "overdue_tasks" || code === "open_warnings") return "count";
  return "ratio";
}
