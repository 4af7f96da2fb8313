/**
 * Pull: bring the local copy to the server's view of the user's scope (docs/sync.md,
 * "Pull"; client duties 3 and 4).
 */
import {
  CUSTOMER_CHILD_TABLES,
  db,
  ENTITY_NAMES,
  entityTable,
  SCHEMA_VERSION,
  type AnyRow,
  type EntityName,
} from "../db";
import {
  applyEntry,
  isUnanswered,
  overlayContext,
  rebaseRow,
  targetKey,
  type OverlayContext,
} from "../data/overlay";
import { nowIso } from "../time";
import { SyncHttpError, type PullChange, type PullPage, type SyncApi } from "./api";
import { deviceId } from "./device";
import { acknowledge } from "./push";

/** Changes per page: a 500-customer first sync is a handful of pages. */
export const PULL_LIMIT = 2000;

export interface PullReport {
  pages: number;
  changes: number;
  /**
   * The copy was cleared and pulled from scratch: the server asked for it (410
   * reset_required), or it was pulled under another schema version.
   */
  reset: boolean;
  /** This pull started without a cursor: a full first sync. */
  full: boolean;
}

export interface PullOptions {
  limit?: number;
  /**
   * After each stored page of a full sync: the changes applied so far, and how many
   * the round holds (the server's estimate on its first page; null if it sent none,
   * as for a first sync resumed after a failure).
   */
  onProgress?: (rowsApplied: number, total: number | null) => void;
  /**
   * A full sync starts storing pages (true) and ends (false: its last page stored, or
   * the pull failed). Screens that read the whole copy wait for its end rather than
   * read it again after every page (ui/components/live.ts).
   */
  onFullSync?: (running: boolean) => void;
  /** Tests: runs inside a page's transaction after its changes, before its cursor is saved. */
  afterApply?: (page: PullPage) => void | Promise<void>;
}

/**
 * A customer left the scope: drop it and everything hanging off it, and the campaigns
 * that targeted no one else here (a device holds the campaigns of its customers only;
 * one still targeting another of them stays, and the server sends no delete for it).
 */
async function dropCustomer(customerId: string): Promise<void> {
  const visitIds = await db.visits.where("customer_id").equals(customerId).primaryKeys();
  const complaintIds = await db.complaints.where("customer_id").equals(customerId).primaryKeys();
  const campaignIds = new Set(
    (await db.campaign_targets.where("customer_id").equals(customerId).toArray()).map(
      (target) => target.campaign_id,
    ),
  );
  await db.visit_revisions.where("visit_id").anyOf(visitIds).delete();
  await db.complaint_events.where("complaint_id").anyOf(complaintIds).delete();
  for (const name of CUSTOMER_CHILD_TABLES) {
    await entityTable(name).where("customer_id").equals(customerId).delete();
  }
  await db.customers.delete(customerId);
  for (const id of campaignIds) {
    if ((await db.campaign_targets.where("campaign_id").equals(id).count()) === 0)
      await db.campaigns.delete(id);
  }
}

function isEntity(name: string): name is EntityName {
  return (ENTITY_NAMES as readonly string[]).includes(name);
}

/**
 * Consecutive changes of one kind, per table, written with one bulk request each.
 * Writes to different tables commute, and a bulk write keeps its rows' order, so a run
 * of upserts (or of deletes) written this way ends as the same changes one by one would.
 *
 * Inside the page's transaction, only what a Dexie request settles is awaited: Dexie
 * follows its transaction across those awaits, while awaiting a promise no request
 * settles (an async method that wrote nothing) lost it in Chromium, and the page's
 * transaction committed too early (fake-indexeddb in the tests did not show it).
 */
class Run {
  private op: "upsert" | "delete" | null = null;
  private readonly byTable = new Map<EntityName, unknown[]>();

  /** Whether a change of kind `op` must wait for the writes gathered so far. */
  blocks(op: "upsert" | "delete" | null): boolean {
    return this.op !== null && this.op !== op;
  }

  add(op: "upsert" | "delete", entity: EntityName, item: unknown): void {
    this.op = op;
    const items = this.byTable.get(entity);
    if (items) items.push(item);
    else this.byTable.set(entity, [item]);
  }

  /** Write what was gathered, one bulk request per table (each issues all its rows at once). */
  async flush(): Promise<void> {
    const op = this.op;
    const batches = [...this.byTable];
    this.byTable.clear();
    this.op = null;
    for (const [entity, items] of batches) {
      if (op === "upsert") await entityTable(entity).bulkPut(items as never[]);
      else await entityTable(entity).bulkDelete(items as string[]);
    }
  }
}

/**
 * Apply one page's changes, with the same result as applying them one by one in their
 * order (docs/sync.md). Plain upserts and deletes go in bulk, one request per table and
 * run of changes rather than one awaited request per row (a first sync is tens of
 * thousands of rows); a change that reads what came before it (a row with changes of
 * this device still unanswered, a cascading delete) waits for everything before it to
 * be written. Applying a page twice changes nothing.
 */
async function applyChanges(changes: PullChange[], ctx: OverlayContext): Promise<void> {
  // Rows with changes of this device still unanswered: rebuilt, not overwritten.
  const overlaid = new Set(
    (await db.outbox.toArray()).filter(isUnanswered).flatMap((entry) => entry.targets),
  );
  const run = new Run();
  for (const change of changes) {
    // A table this client does not know (a newer server): skip it rather than fail the sync.
    if (!isEntity(change.entity)) continue;
    if (change.op === "upsert" && change.row) {
      const row = change.row as unknown as AnyRow;
      if (overlaid.size > 0 && overlaid.has(targetKey(change.entity, change.id))) {
        if (run.blocks(null)) await run.flush();
        await rebaseRow(change.entity, change.id, ctx, row);
      } else {
        if (run.blocks("upsert")) await run.flush();
        run.add("upsert", change.entity, row);
      }
    } else if (change.op === "delete") {
      if (change.entity === "customers" && change.cascade) {
        if (run.blocks(null)) await run.flush();
        await dropCustomer(change.id);
      } else {
        if (run.blocks("delete")) await run.flush();
        run.add("delete", change.entity, change.id); // an id the device does not hold: a no-op
      }
    }
  }
  if (run.blocks(null)) await run.flush();
}

function tables() {
  return [db.meta, db.outbox, ...ENTITY_NAMES.map((name) => db[name])];
}

/** Inside a transaction over `tables()`: see `resetCopy`. */
async function clearCopy(): Promise<void> {
  await Promise.all(ENTITY_NAMES.map((name) => db[name].clear()));
  await db.meta.bulkDelete(["cursor", "last_sync_at"]);
  const ctx = await overlayContext();
  for (const entry of await db.outbox.orderBy("seq").toArray()) {
    if (isUnanswered(entry)) await applyEntry(entry, ctx);
  }
}

/**
 * Forget the local copy but not the outbox nor the results: clear every entity
 * table and the cursor, then lay the unsent changes over the empty copy again (so
 * records created offline stay visible while the copy is pulled from scratch).
 */
export async function resetCopy(): Promise<void> {
  await db.transaction("rw", tables(), clearCopy);
}

/**
 * A copy pulled under another schema version lacks what this one adds (rows pulled
 * before it carry no new column, and an incremental pull never sends them again): it
 * is reset as on `reset_required`, outbox kept, and pulled from scratch. True if it was.
 */
async function upgradeCopy(): Promise<boolean> {
  const current = async () => (await db.meta.get("schema_version"))?.value === SCHEMA_VERSION;
  // Every pull asks; only an upgrade needs the write lock on every table.
  if (await current()) return false;
  return db.transaction("rw", tables(), async () => {
    if (await current()) return false;
    const hadCopy = (await db.meta.get("cursor")) !== undefined;
    if (hadCopy) await clearCopy();
    await db.meta.put({ key: "schema_version", value: SCHEMA_VERSION });
    return hadCopy;
  });
}

/** A timing mark of the pull (read by bench/first_sync_browser.py); free when unobserved. */
function measure(name: string, start: number): void {
  if (typeof performance === "undefined" || typeof performance.measure !== "function") return;
  performance.measure(`fieldbook:pull:${name}`, { start, end: performance.now() });
}

function now(): number {
  return typeof performance === "undefined" ? Date.now() : performance.now();
}

/**
 * Pull pages until the round is done (`has_more` false). Each page and its cursor are
 * stored in one transaction: a crash in between pulls the same page again. The next
 * page is requested, with the cursor the page names, while the page is being stored:
 * the server's work and the device's overlap, and the cursor saved is still only
 * ever that of a stored page (if storing fails, the page fetched ahead is dropped).
 * On `reset_required` the copy is reset (outbox kept) and pulled from scratch.
 */
export async function pull(api: SyncApi, options: PullOptions = {}): Promise<PullReport> {
  let running = false;
  const onFullSync = (value: boolean) => {
    if (running === value) return;
    running = value;
    options.onFullSync?.(value);
  };
  try {
    return await pullPages(api, { ...options, onFullSync });
  } finally {
    onFullSync(false);
  }
}

async function pullPages(api: SyncApi, options: PullOptions): Promise<PullReport> {
  const device = await deviceId();
  const limit = options.limit ?? PULL_LIMIT;
  const report: PullReport = { pages: 0, changes: 0, reset: false, full: false };
  report.reset = await upgradeCopy();
  const request = (cursor: string | undefined) => {
    const answer = api.pull({
      device_id: device,
      ...(cursor === undefined ? {} : { cursor }),
      limit,
      schema_version: SCHEMA_VERSION,
    });
    // Handled where it is awaited; it may fail while the page before is being stored.
    answer.catch(() => undefined);
    return answer;
  };
  let first = true;
  let total: number | null = null;
  let ahead: Promise<PullPage> | null = null;
  for (;;) {
    let page: PullPage;
    const waited = now();
    try {
      if (ahead === null) {
        const cursor = (await db.meta.get("cursor"))?.value as string | undefined;
        if (first) {
          report.full = cursor === undefined;
          // A first sync resumed after a failure is one too: the copy is whole only at its end.
          const whole = (await db.meta.get("last_sync_at")) !== undefined;
          if (report.full || !whole) options.onFullSync?.(true);
        }
        ahead = request(cursor);
      }
      first = false;
      page = await ahead;
    } catch (err) {
      ahead = null;
      // Once per pull: a fresh pull refused again is the server's problem, not ours.
      if (err instanceof SyncHttpError && err.code === "reset_required" && !report.reset) {
        await resetCopy();
        report.reset = true;
        report.full = true;
        options.onFullSync?.(true);
        continue;
      }
      throw err;
    }
    measure("wait", waited);
    if (page.estimate !== undefined) total = report.changes + page.estimate;
    ahead = page.has_more ? request(page.cursor) : null;
    const storing = now();
    // If this fails, the page fetched ahead is dropped with the rest of this pull.
    await db.transaction("rw", tables(), async () => {
      const ctx = await overlayContext();
      await applyChanges(page.changes, ctx);
      await options.afterApply?.(page);
      await db.meta.put({ key: "cursor", value: page.cursor });
      await acknowledge(page.last_acknowledged_seq, ctx, false);
      if (!page.has_more) await db.meta.put({ key: "last_sync_at", value: nowIso() });
    });
    measure("store", storing);
    report.pages += 1;
    report.changes += page.changes.length;
    if (report.full) options.onProgress?.(report.changes, total);
    if (!page.has_more) return report;
  }
}
