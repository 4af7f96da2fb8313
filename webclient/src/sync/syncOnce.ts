/** One sync: push, pull, and push again if changes were queued meanwhile; "my numbers". */
import { pendingCount } from "../data/queries";
import type { SyncApi } from "./api";
import { hasOwnNumbers, refreshMyNumbers, type NumbersOutcome } from "./numbers";
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
 * not the sync's. A device without its user's numbers (a first sync) asks for them
 * while the pull runs instead: they are worked out from the server's data, which the
 * push has just brought up to date, and a first pull is the longest wait there is.
 */
export async function syncOnce(api: SyncApi, options: PullOptions = {}): Promise<SyncReport> {
  const pushed = await push(api);
  // Never rejects (refreshMyNumbers catches everything), so a failed pull leaves no
  // unhandled promise behind.
  const early = (await hasOwnNumbers()) ? null : refreshMyNumbers(api, { changed: true });
  const pulled = await pull(api, options);
  let pushedAgain = false;
  if ((await pendingCount()) > 0) {
    const again = await push(api);
    pushed.sent += again.sent;
    pushed.applied += again.applied;
    pushed.rejected += again.rejected;
    pushed.conflicts += again.conflicts;
    pushedAgain = again.sent > 0;
  }
  const first = early === null ? null : await early;
  // Changes pushed after the early answer was asked for are not in it: ask again.
  const numbers =
    first !== null && !pushedAgain
      ? first
      : await refreshMyNumbers(api, {
          changed: pushed.sent > 0 || pulled.changes > 0 || pulled.reset,
        });
  return { pushed, pulled, numbers };
}
