import { fmtNumber, locale, t } from "../../i18n";

/** A month (YYYY-MM-01) as "Nov 2026" / "2026年11月". */
export function fmtMonth(month: string): string {
  return new Intl.DateTimeFormat(locale(), { year: "numeric", month: "short" }).format(
    new Date(`${month.slice(0, 7)}-01T00:00:00`),
  );
}

/** A datetime-local input's value for `date` (local wall-clock, minutes). */
export function toLocalInput(date: Date): string {
  const p = (n: number) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${p(date.getMonth() + 1)}-${p(date.getDate())}T${p(date.getHours())}:${p(date.getMinutes())}`;
}

/**
 * A full sync's progress for the sync bar: "1,234 / 5,678 (22%)" when the server said
 * how many changes the round holds, the count alone when it did not. Never past 100%:
 * the total is at least what was stored.
 */
export function syncProgressText(progress: { rowsApplied: number; total: number | null }): string {
  const done = progress.rowsApplied;
  if (progress.total === null) return t("shell.progress", { count: fmtNumber(done) });
  const total = Math.max(progress.total, done);
  const share = total === 0 ? 1 : Math.floor((done / total) * 100) / 100;
  return t("shell.progressOf", {
    done: fmtNumber(done),
    total: fmtNumber(total),
    percent: new Intl.NumberFormat(locale(), { style: "percent" }).format(share),
  });
}
