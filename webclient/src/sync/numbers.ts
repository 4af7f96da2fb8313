/**
 * "My numbers" (我的指标), readable offline: after a sync round's pull (during a
 * first sync's), fetch GET /reviews/me and keep the answer in meta `my_numbers` with
 * the time it came.
 *
 * A side trip of the round, never part of it: its failure fails nothing (the data
 * went through; the screen keeps the last copy and says how old it is), and it never
 * touches the outbox or the cursor. Sign-out wipes the copy with the database; another
 * user's sign-in clears meta (sync/device.ts).
 */
import { db, type MyNumbers, type StoredMyNumbers, type Uuid } from "../db";
import { now, nowIso } from "../time";
import type { SyncApi } from "./api";

/**
 * A round that sent and brought nothing asks again only for a copy older than this:
 * the figures move with the data (which the round would have carried) and with time
 * (plans falling due, the team's scores for a rank), slowly. Every sync of an idle
 * phone (every 5 minutes) would otherwise recompute a review on the server.
 */
export const NUMBERS_MAX_AGE_MS = 15 * 60_000;

/**
 * stored: fetched and kept; fresh: the copy was recent and the round changed nothing;
 * failed: the request (or storing it) failed, the previous copy stays;
 * skipped: nobody is bound to the device (or someone else is, by the time it answered).
 */
export type NumbersOutcome = "stored" | "fresh" | "failed" | "skipped";

async function boundUser(): Promise<Uuid | undefined> {
  return (await db.meta.get("user_id"))?.value as Uuid | undefined;
}

function looksRight(numbers: unknown): numbers is MyNumbers {
  const n = numbers as Partial<MyNumbers> | null;
  return (
    typeof n === "object" &&
    n !== null &&
    typeof n.current?.figures === "object" &&
    typeof n.previous?.figures === "object" &&
    Array.isArray(n.trend)
  );
}

/** Whether the device holds a copy of the bound user's numbers (none before a first sync). */
export async function hasOwnNumbers(): Promise<boolean> {
  const userId = await boundUser();
  const stored = (await db.meta.get("my_numbers"))?.value as StoredMyNumbers | undefined;
  return userId !== undefined && stored?.user_id === userId;
}

/**
 * Fetch and store the signed-in user's numbers, unless the stored copy is theirs,
 * recent, and the round `changed` nothing. Never throws.
 */
export async function refreshMyNumbers(
  api: SyncApi,
  { changed }: { changed: boolean },
): Promise<NumbersOutcome> {
  try {
    const userId = await boundUser();
    if (userId === undefined) return "skipped";
    const stored = (await db.meta.get("my_numbers"))?.value as StoredMyNumbers | undefined;
    if (!changed && stored?.user_id === userId) {
      const age = now().getTime() - Date.parse(stored.fetched_at);
      if (age >= 0 && age < NUMBERS_MAX_AGE_MS) return "fresh";
    }
    const numbers = await api.myNumbers();
    if (!looksRight(numbers)) return "failed";
    const fetched: StoredMyNumbers = { user_id: userId, fetched_at: nowIso(), numbers };
    return await db.transaction("rw", db.meta, async () => {
      // Signed out (or another user bound) while the request was out: not theirs to keep.
      if ((await boundUser()) !== userId) return "skipped";
      await db.meta.put({ key: "my_numbers", value: fetched });
      return "stored";
    });
  } catch {
    return "failed";
  }
}
