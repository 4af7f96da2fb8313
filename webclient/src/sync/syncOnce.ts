/** One sync: push, pull, and push again if changes were queued meanwhile; then "my numbers". */
import { pendingCount } from "../data/queries";
import type { SyncApi } from "./api";
import { refreshMyNumbers, type NumbersOutcome } from "./numbers";
import { pull, type PullOptions, type PullReport } from "./pull";
import { push, type PushReport } from "./push";

export interface SyncReport {
  pushed: PushReport;
  pulled: PullReport;
  /** What became of the user's numbers (GET /reviews/me): never a reason to fail the sync. */
  numbers: NumbersOutcome;
}

/**
 * Push first, so the pull brings back the server's rows for our own changes; then pull;
 * then push what the user queued while the pull ran. Once the round is through, fetch
 * the user's numbers (at most once a round, see sync/numbers.ts): a failure there is
 * not the sync's.
 */
export async function syncOnce(api: SyncApi, options: PullOptions = {}): Promise<SyncReport> {
  const pushed = await push(api);
  const pulled = await pull(api, options);
  if ((await pendingCount()) > 0) {
    const again = await push(api);
    pushed.sent += again.sent;
    pushed.applied += again.applied;
    pushed.rejected += again.rejected;
    pushed.conflicts += again.conflicts;
  }
  const numbers = await refreshMyNumbers(api, {
    changed: pushed.sent > 0 || pulled.changes > 0 || pulled.reset,
  });
  return { pushed, pulled, numbers };
}
