/**
 * Push: send the outbox in seq order and take in the server's answer for each change
 * (docs/sync.md, "Push"; client duty 2).
 */
import {
  db,
  ENTITY_NAMES,
  entityTable,
  getMeta,
  setMeta,
  SCHEMA_VERSION,
  type AnyRow,
  type EntityName,
  type OutboxEntry,
  type PushResult,
} from "../db";
import {
  isUnanswered,
  MUTATIONS,
  overlayContext,
  parseTarget,
  pristine,
  rebaseRow,
  type OverlayContext,
} from "../data/overlay";
import { nowIso } from "../time";
import type { MutationName } from "../mutations";
import type { PushAnswer, PushMutation, SyncApi } from "./api";
import { SyncHttpError } from "./api";
import { deviceId } from "./device";

/** Mutations per request (the server takes up to 500). */
export const PUSH_BATCH = 100;

export interface PushReport {
  sent: number;
  applied: number;
  rejected: number;
  conflicts: number;
  /** Changes the server could not apply this time (a bug on its side): sent again later. */
  failed: number;
}

/** Refusals the server did not record: the change waits in the outbox for the user. */
const NOT_RECORDED = new Set(["seq_reused", "mutation_id_reused"]);

/** A change the server failed to apply and will try again: it stays queued. */
export function isRetrying(entry: OutboxEntry): boolean {
  return entry.result?.status === "failed";
}

function isEntity(name: unknown): name is EntityName {
  return typeof name === "string" && (ENTITY_NAMES as readonly string[]).includes(name);
}

/**
 * Put a row the server answered with, unless the device already holds a newer version
 * of it (a pull got there first): then the server's row is the one under the local one.
 */
async function storeAnswered(
  entity: EntityName,
  row: Record<string, unknown>,
  ctx: OverlayContext,
) {
  const id = String(row.id);
  const local = await entityTable(entity).get(id);
  const held = pristine(local) as (AnyRow & { version?: number }) | undefined;
  const newer =
    held !== undefined &&
    typeof held.version === "number" &&
    typeof row.version === "number" &&
    held.version > row.version;
  await rebaseRow(entity, id, ctx, newer ? held : (row as unknown as AnyRow));
}

async function takeResult(
  entry: OutboxEntry,
  result: PushResult,
  ctx: OverlayContext,
): Promise<void> {
  if (result.status === "failed") {
    // Not applied, not acknowledged as done: queued again as it was, overlay and all.
    await db.outbox.update(entry.seq, { status: "pending", result });
    return;
  }
  const notRecorded = result.status === "rejected" && NOT_RECORDED.has(result.code ?? "");
  if (notRecorded) {
    // The server did not record it: it stays in the outbox, out of the queue, for the user.
    await db.outbox.update(entry.seq, { status: "rejected", result });
  } else {
    await db.outbox.delete(entry.seq);
  }
  const answered = new Set<string>();
  if (result.record && isEntity(result.entity)) {
    await storeAnswered(result.entity, result.record, ctx);
    answered.add(`${result.entity}:${String(result.record.id)}`);
  }
  for (const conflict of result.conflicts ?? []) {
    await storeAnswered("sync_conflicts", conflict, ctx);
  }
  // Rows it changed that the answer did not carry: back to the server's values (a
  // refused create disappears) with the changes still queued laid over them again.
  // An applied removal has no server row left to go back to.
  const removed = result.status === "applied" && MUTATIONS[entry.name].removes === true;
  for (const key of entry.targets) {
    if (answered.has(key)) continue;
    const [entity, id] = parseTarget(key);
    await rebaseRow(entity, id, ctx, removed ? null : undefined);
  }
  if (result.status !== "applied") {
    await db.results.put({
      id: entry.mutation_id,
      seq: entry.seq,
      name: entry.name,
      args: entry.args,
      client_time: entry.client_time,
      status: result.status,
      code: result.code,
      message: result.message,
      result,
      received_at: nowIso(),
    });
  }
}

/** Take in one push answer: results, acknowledged entries and the seq counter, in one transaction. */
async function takeAnswer(
  sent: OutboxEntry[],
  answer: PushAnswer,
  report: PushReport,
): Promise<void> {
  const tables = [db.outbox, db.meta, db.results, ...ENTITY_NAMES.map((name) => db[name])];
  await db.transaction("rw", tables, async () => {
    const ctx = await overlayContext();
    const byId = new Map(sent.map((entry) => [entry.mutation_id, entry]));
    for (const result of answer.results) {
      const entry = byId.get(result.id);
      // Answered already (a duplicate in the answer) or not ours: nothing to take.
      if (
        entry === undefined ||
        (await db.outbox.get(entry.seq))?.mutation_id !== entry.mutation_id
      )
        continue;
      byId.delete(result.id);
      await takeResult(entry, result, ctx);
      if (result.status === "applied") report.applied += 1;
      else if (result.status === "conflict") report.conflicts += 1;
      else if (result.status === "failed") report.failed += 1;
      else report.rejected += 1;
    }
    await acknowledge(answer.last_acknowledged_seq, ctx);
  });
}

/**
 * Record the server's last acknowledged seq: the next seq goes above it, and entries
 * up to it that no result answered leave the outbox (their rows rebased). Pulls only
 * raise the counter: an entry a pull reports as acknowledged still waits for its
 * stored result, which the next push fetches, so a refusal is never lost.
 */
export async function acknowledge(
  seq: number,
  ctx: OverlayContext,
  dropEntries = true,
): Promise<void> {
  const known = Number((await db.meta.get("last_acknowledged_seq"))?.value ?? 0);
  if (seq > known) await db.meta.put({ key: "last_acknowledged_seq", value: seq });
  const next = Number((await db.meta.get("next_seq"))?.value ?? 1);
  if (next <= seq) await db.meta.put({ key: "next_seq", value: seq + 1 });
  if (!dropEntries) return;
  // A change the server failed to apply has its seq acknowledged as received, not done.
  const done = await db.outbox
    .where("seq")
    .belowOrEqual(seq)
    .filter((entry) => !isRetrying(entry))
    .toArray();
  for (const entry of done) {
    await db.outbox.delete(entry.seq);
    for (const key of entry.targets) {
      const [entity, id] = parseTarget(key);
      await rebaseRow(entity, id, ctx);
    }
  }
}

/** An outbox entry as the push sends it (its bookkeeping stays on the device). */
function toPush<K extends MutationName>(entry: OutboxEntry<K>): PushMutation<K> {
  return {
    id: entry.mutation_id,
    seq: entry.seq,
    name: entry.name,
    args: entry.args,
    base_version: entry.base_version,
    client_time: entry.client_time,
  };
}

async function csrfToken(): Promise<string | null> {
  const token = (await db.meta.get("csrf_token"))?.value;
  return typeof token === "string" ? token : null;
}

/**
 * Send the queued changes, oldest first, in batches of PUSH_BATCH, until none is left.
 * Throws SyncHttpError (401 signed out, 426 update required, ...) or a network error;
 * the outbox is kept either way and a later push sends the same changes again, which
 * the server answers from its stored results.
 */
export async function push(api: SyncApi): Promise<PushReport> {
  const report: PushReport = { sent: 0, applied: 0, rejected: 0, conflicts: 0, failed: 0 };
  const device = await deviceId();
  let csrfRetried = false;
  let gapClosed = false;
  // Failed in this push: tried again on the next sync, not at once (each try counts).
  const failedNow = new Set<number>();
  for (;;) {
    const batch = await db.transaction("rw", db.outbox, async () => {
      const queued = await db.outbox
        .orderBy("seq")
        .filter((entry) => isUnanswered(entry) && !failedNow.has(entry.seq))
        .limit(PUSH_BATCH)
        .toArray();
      await db.outbox.bulkUpdate(
        queued.map((entry) => ({ key: entry.seq, changes: { status: "sending" as const } })),
      );
      return queued;
    });
    if (batch.length === 0) return report;
    let answer: PushAnswer;
    try {
      answer = await api.push(
        {
          device_id: device,
          schema_version: SCHEMA_VERSION,
          mutations: batch.map(toPush),
        },
        await csrfToken(),
      );
    } catch (err) {
      if (err instanceof SyncHttpError && err.code === "csrf_failed" && !csrfRetried) {
        // The token went stale (a new session): fetch it again, once.
        csrfRetried = true;
        await db.meta.put({ key: "csrf_token", value: await api.csrfToken() });
        continue;
      }
      if (err instanceof SyncHttpError && err.code === "seq_gap" && !gapClosed) {
        gapClosed = true;
        await closeGap(Number(err.details.expected_seq));
        continue;
      }
      throw err;
    }
    report.sent += batch.length;
    await takeAnswer(batch, answer, report);
    for (const result of answer.results) if (result.status === "failed") failedNow.add(result.seq);
    const progressed =
      (await db.outbox
        .where("seq")
        .anyOf(batch.map((e) => e.seq))
        .filter(isUnanswered)
        .count()) < batch.length;
    if (!progressed) return report;
  }
}

/**
 * The server refused a push whose seqs skip ahead (409 seq_gap): it has every change
 * up to `expected - 1` and none after. The changes this device still holds from
 * `expected` on are numbered again from `expected`, in their order (the server never
 * received any of them, so none can apply twice). Numbers the device no longer holds
 * are reported (meta `seq_gaps`, shown in the sync centre), never skipped silently.
 */
export async function closeGap(expected: number): Promise<void> {
  if (!Number.isSafeInteger(expected) || expected < 1) return;
  await db.transaction("rw", db.outbox, db.meta, async () => {
    const later = await db.outbox.where("seq").aboveOrEqual(expected).sortBy("seq");
    const first = later[0]?.seq ?? expected;
    if (first > expected) {
      const gaps = (await getMeta("seq_gaps")) ?? [];
      await setMeta("seq_gaps", [...gaps, { from: expected, to: first - 1, found_at: nowIso() }]);
    }
    await db.outbox.bulkDelete(later.map((entry) => entry.seq));
    await db.outbox.bulkAdd(later.map((entry, i) => ({ ...entry, seq: expected + i })));
    await db.meta.put({ key: "next_seq", value: expected + later.length });
    const known = Number((await db.meta.get("last_acknowledged_seq"))?.value ?? 0);
    if (known > expected - 1)
      await db.meta.put({ key: "last_acknowledged_seq", value: expected - 1 });
  });
}
