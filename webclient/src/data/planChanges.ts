/**
 * Moving a plan: snooze, reschedule, skip with a reason. Only the lazy "Move / skip"
 * screen calls these, so they load with it, not with the app (each is one
 * `update_plan`, written by ./writes.ts `updatePlan`).
 */
import { db, type CarePlan, type IsoDate, type SkipReason, type Uuid } from "../db";
import { addDays, today } from "../time";
import { checkWindow, mustGet, refuse, updatePlan } from "./writes";

/** Move a plan to a new window (one day: `from` = `to`). */
export async function reschedulePlan(id: Uuid, from: IsoDate, to: IsoDate) {
  checkWindow(from, to);
  return updatePlan(id, { due_from: from, due_to: to });
}

/** "Not now": +1 day, +3 days, or next Monday. */
export type Snooze = "day" | "days3" | "week";

export const SNOOZES: readonly Snooze[] = ["day", "days3", "week"];

/** The day a snooze from `day` moves a plan to. */
export function snoozeTarget(snooze: Snooze, day: IsoDate): IsoDate {
  if (snooze === "day") return addDays(day, 1);
  if (snooze === "days3") return addDays(day, 3);
  const weekday = new Date(`${day}T12:00:00`).getDay(); // 0 Sunday ... 6 Saturday
  return addDays(day, (8 - weekday) % 7 || 7);
}

/**
 * The window a snooze gives a plan: it now ends on the target day; it opens no later
 * than that (a contact made before then still fulfils it). Null when the plan already
 * ends on or after that day: a snooze never brings a plan forward.
 */
export function snoozedWindow(
  plan: Pick<CarePlan, "due_from" | "due_to">,
  snooze: Snooze,
  day: IsoDate,
): { due_from: IsoDate; due_to: IsoDate } | null {
  const target = snoozeTarget(snooze, day);
  if (plan.due_to >= target) return null;
  return { due_from: plan.due_from < target ? plan.due_from : target, due_to: target };
}

export async function snoozePlan(id: Uuid, snooze: Snooze) {
  const plan = await mustGet(db.care_plans.get(id), "Plan");
  const window = snoozedWindow(plan, snooze, today());
  if (window === null) refuse("due_to", "The plan is already due later.");
  return updatePlan(id, window);
}

/**
 * Skip a plan: cancelled, with the reason (and the note "other" needs). The server
 * keeps both; the agenda and the indicators treat it as any cancelled plan.
 */
export async function skipPlan(id: Uuid, reason: SkipReason, note: string | null) {
  const text = note?.trim() || null;
  if (reason === "other" && text === null) refuse("skip_note", "Say why the plan is skipped.");
  if (text !== null && text.length > MAX_SKIP_NOTE)
    refuse("skip_note", `At most ${MAX_SKIP_NOTE} characters.`);
  return updatePlan(id, { status: "cancelled", skip_reason: reason, skip_note: text });
}

export const MAX_SKIP_NOTE = 500;
