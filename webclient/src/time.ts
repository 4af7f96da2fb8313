/** Times as the server takes them: ISO 8601 with the phone's own offset. */

function pad(n: number, width = 2): string {
  return String(Math.trunc(Math.abs(n))).padStart(width, "0");
}

/** `date` as local wall-clock time with its offset, e.g. 2026-11-25T15:59:00.000+08:00. */
export function isoWithOffset(date: Date): string {
  const offset = -date.getTimezoneOffset();
  const sign = offset >= 0 ? "+" : "-";
  return (
    `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}` +
    `T${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}` +
    `.${pad(date.getMilliseconds(), 3)}${sign}${pad(offset / 60)}:${pad(offset % 60)}`
  );
}

let clock: () => Date = () => new Date();

/** Now, as the device's clock says (tests replace the clock with `setClock`). */
export function now(): Date {
  return clock();
}

export function nowIso(): string {
  return isoWithOffset(clock());
}

/** Today's local date, YYYY-MM-DD. */
export function today(): string {
  return localDate(clock());
}

export function localDate(date: Date): string {
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

/** The local date `days` after `date` (YYYY-MM-DD; negative: before). */
export function addDays(date: string, days: number): string {
  // Noon: a daylight-saving change never moves it to another day.
  const day = new Date(`${date}T12:00:00`);
  day.setDate(day.getDate() + days);
  return localDate(day);
}

export function setClock(next: (() => Date) | null): void {
  clock = next ?? (() => new Date());
}
