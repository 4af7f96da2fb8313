/** The sync engine: the only code that talks to the server (docs/sync.md). */
export { HttpSyncApi, SyncHttpError, type SyncApi } from "./api";
export { backoffDelay, BACKOFF_BASE_MS, BACKOFF_CAP_MS } from "./backoff";
export { bindSession, deviceId, OtherUsersChanges } from "./device";
export { SyncEngine, type SyncProblem, type SyncStatus } from "./engine";
export { pull, resetCopy } from "./pull";
export { push } from "./push";
export { syncOnce } from "./syncOnce";
