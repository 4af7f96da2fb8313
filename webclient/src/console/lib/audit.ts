/**
 * The audit screen's rules that need no browser: which actions there are (for the
 * filter), local dates to the API's instants, and an event's details as short text.
 */

/** The action codes the server records, by area (server/*: `record("area.what")`). */
export const AUDIT_ACTIONS = {
  auth: [
    "sign_in",
    "sign_in_failed",
    "locked",
    "unlocked",
    "password_reset",
    "password_changed",
    "password_change_failed",
  ],
  customers: ["assign", "assign_bulk", "reassign", "handover", "erase", "personal_data_export"],
  team: [
    "user_created",
    "user_role",
    "user_team",
    "user_deactivated",
    "user_reactivated",
    "team_created",
    "team_renamed",
    "team_deleted",
  ],
  imports: ["customers", "spend"],
  reviews: ["export"],
  sync: ["conflict_resolved"],
} as const;

export type AuditArea = keyof typeof AUDIT_ACTIONS;

export const AUDIT_TARGETS = ["user", "customer", "team", "job", "sync_conflict"] as const;

/**
 * A day picked in the browser ("2026-12-02") as the instant its local midnight is;
 * `end` gives the next midnight, so "to" includes the whole day (the API's `to` is
 * exclusive). Empty or malformed: undefined (no filter).
 */
export function dayStart(day: string | null | undefined, end = false): string | undefined {
  const found = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day ?? "");
  if (!found) return undefined;
  const [year, month, date] = [Number(found[1]), Number(found[2]), Number(found[3])];
  return new Date(year, month - 1, date + (end ? 1 : 0)).toISOString();
}

/** Details as "label: value" parts, in the order the server wrote them; ids shortened. */
export function detailParts(
  details: Record<string, unknown>,
  label: (key: string) => string,
): string[] {
  return Object.entries(details)
    .filter(([, value]) => value !== null && value !== undefined && value !== "")
    .map(([key, value]) => `${label(key)}: ${shortValue(value)}`);
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function shortValue(value: unknown): string {
  if (typeof value === "string") return UUID.test(value) ? value.slice(0, 8) : value;
  if (Array.isArray(value)) return value.map(shortValue).join(", ");
  if (typeof value === "object" && value !== null) return JSON.stringify(value);
  return String(value);
}
