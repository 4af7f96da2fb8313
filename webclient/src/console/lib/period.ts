/**
 * Review periods the console offers besides the configured ones: the last complete
 * month (the default: its work is all due and its figures final) and this month so far.
 * Days are the operator's local days, as YYYY-MM-DD.
 */

export interface DayRange {
  starts_on: string;
  ends_on: string;
}

function pad(n: number): string {
  return String(n).padStart(2, "0");
}

function lastDay(year: number, month: number): number {
  // Day 0 of the next month is the last day of this one (month is 1-based here).
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

function parse(day: string): [number, number] {
  const [year, month] = day.split("-").map(Number) as [number, number];
  return [year, month];
}

/** The month before the one `today` is in. */
export function lastCompleteMonth(today: string): DayRange {
  let [year, month] = parse(today);
  month -= 1;
  if (month === 0) {
    month = 12;
    year -= 1;
  }
  return {
    starts_on: `${year}-${pad(month)}-01`,
    ends_on: `${year}-${pad(month)}-${pad(lastDay(year, month))}`,
  };
}

/** The month `today` is in, to its last day (the review is "as of" now while it runs). */
export function thisMonth(today: string): DayRange {
  const [year, month] = parse(today);
  return {
    starts_on: `${year}-${pad(month)}-01`,
    ends_on: `${year}-${pad(month)}-${pad(lastDay(year, month))}`,
  };
}

/** How a period choice travels in the address: a configured period's id, or a keyword. */
export type PeriodChoice =
  { kind: "period"; id: string } | { kind: "last_month" } | { kind: "this_month" };

export function parseChoice(value: string | null): PeriodChoice {
  if (value === "this_month") return { kind: "this_month" };
  if (value && value !== "last_month") return { kind: "period", id: value };
  return { kind: "last_month" };
}

export function choiceValue(choice: PeriodChoice): string {
  return choice.kind === "period" ? choice.id : choice.kind;
}

/** The query that asks the reviews API for this choice. */
export function periodQuery(choice: PeriodChoice, today: string): { period_id: string } | DayRange {
  if (choice.kind === "period") return { period_id: choice.id };
  return choice.kind === "this_month" ? thisMonth(today) : lastCompleteMonth(today);
}
