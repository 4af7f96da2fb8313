import { locale } from "../../i18n";

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
