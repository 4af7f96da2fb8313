/**
 * The one rule for what Today shows first (issue 13, "Today, triaged"): which section
 * an item falls in, and the order of urgency within each. Pure: no database, no clock
 * (the caller gives the day), so it is tested alone (triage.test.ts).
 */
import type { IsoDate, Purpose } from "../db";
import { addDays } from "../time";
import type { AgendaItem } from "./queries";

/** Due today; past its date; within the next six days; after that. */
export type Section = "today" | "overdue" | "week" | "later";

export const SECTIONS: readonly Section[] = ["today", "overdue", "week", "later"];

/** Days after today that "this week" covers (today + 1 ... today + 6). */
export const WEEK_DAYS = 7;

export type Triaged = Record<Section, AgendaItem[]>;

/** Of two contacts due the same day, the one that costs most when late first (as server/plans PURPOSE_PRIORITY). */
const PURPOSE_PRIORITY: readonly Purpose[] = [
  "complaint_followup",
  "retention",
  "contract_expiry",
  "welcome",
  "introduction_check",
  "birthday",
  "holiday",
  "win_back",
  "routine",
  "marketing",
];

/**
 * How urgent an item is, 0 first: complaint deadlines, then overdue work (plans and
 * tasks past their date), open warnings, birthdays and holidays, other dated work
 * (tasks, renewals, campaigns...), and routine contact last.
 */
export function urgency(item: AgendaItem, today: IsoDate): number {
  switch (item.type) {
    case "complaint":
      return 0;
    case "warning":
      return 2;
    case "birthday":
      return 3;
    case "task":
      return item.due < today ? 1 : 4;
    case "plan": {
      if (item.due < today) return 1;
      const purpose = item.plan.purpose;
      if (purpose === "birthday" || purpose === "holiday") return 3;
      return purpose === "routine" && item.campaign === null ? 5 : 4;
    }
  }
}

/** Which section `item` belongs to on `today`. An open warning waits for an answer today. */
export function sectionOf(item: AgendaItem, today: IsoDate): Section {
  if (item.type === "warning" || item.due === today) return "today";
  if (item.due < today) return "overdue";
  return item.due < addDays(today, WEEK_DAYS) ? "week" : "later";
}

/** A stable identity for an item (a list's key). */
export function itemKey(item: AgendaItem): string {
  switch (item.type) {
    case "plan":
      return `plan:${item.plan.id}`;
    case "task":
      return `task:${item.task.id}`;
    case "complaint":
      return `complaint:${item.complaint.id}`;
    case "warning":
      return `warning:${item.warning.id}`;
    case "birthday":
      return `birthday:${item.customer.id}`;
  }
}

/** When it falls due, to the minute where it has one (a complaint's deadline). */
function dueAt(item: AgendaItem): string {
  return item.type === "complaint" ? item.complaint.deadline_at : item.due;
}

function purposeRank(item: AgendaItem): number {
  return item.type === "plan" ? PURPOSE_PRIORITY.indexOf(item.plan.purpose) : -1;
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Most urgent first: by urgency, then the earliest due (a complaint's deadline to the
 * minute; the oldest overdue first), then the more valuable customer (tier rank), then
 * the purpose that costs most when late, then a stable key.
 */
export function byUrgency(today: IsoDate): (a: AgendaItem, b: AgendaItem) => number {
  return (a, b) =>
    urgency(a, today) - urgency(b, today) ||
    cmp(dueAt(a), dueAt(b)) ||
    (a.customer?.tier?.rank ?? 1_000) - (b.customer?.tier?.rank ?? 1_000) ||
    purposeRank(a) - purposeRank(b) ||
    cmp(itemKey(a), itemKey(b));
}

/** The items in their sections, each section most urgent first. */
export function triage(items: readonly AgendaItem[], today: IsoDate): Triaged {
  const sections: Triaged = { today: [], overdue: [], week: [], later: [] };
  for (const item of items) sections[sectionOf(item, today)].push(item);
  const order = byUrgency(today);
  for (const section of SECTIONS) sections[section].sort(order);
  return sections;
}
