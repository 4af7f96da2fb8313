/** One sync: push, pull, and push again if changes were queued meanwhile. */
import { pendingCount } from "../data/queries";
import type { SyncApi } from "./api";
import { pull, type PullOptions, type PullReport } from "./pull";
import { push, type PushReport } from "./push";

export interface SyncReport {
  pushed: PushReport;
  pulled: PullReport;
}

/**
 * Push first, so the pull brings back the server's rows for our own changes; then pull;
 * then push what the user queued while the pull ran.
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
  return { pushed, pulled };
}
