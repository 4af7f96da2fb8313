import type { RouteName } from "./router";

/** The tab bar's tabs. */
export type Tab = "today" | "portfolio" | "sync" | "settings";

/** The tab a screen belongs to, or null for one reached from several (a task, a complaint). */
function ownTab(route: RouteName): Tab | null {
  if (route === "today" || route === "sync" || route === "settings") return route;
  // Reached from "Me" (the tab bar has no room for a fifth tab on a 360 px phone).
  if (route === "myNumbers") return "settings";
  if (route === "portfolio" || route === "customer") return "portfolio";
  return null;
}

/** Screens of the day's work: under Today when opened directly. */
const TODAYS_WORK: ReadonlySet<RouteName> = new Set<RouteName>([
  "task",
  "warning",
  "warnings",
  "complaint",
  "plan",
  "newTask",
  "newPlan",
]);

/**
 * The tab to highlight: a screen's own, else the tab the user came from (a complaint
 * opened from a customer's card is under Customers, from Today under Today). Opened
 * directly, a task, warning or complaint is Today's work, anything else a customer's.
 */
export function tabFor(route: RouteName, from: Tab | null): Tab {
  const own = ownTab(route);
  if (own !== null) return own;
  if (from !== null) return from;
  return TODAYS_WORK.has(route) ? "today" : "portfolio";
}
