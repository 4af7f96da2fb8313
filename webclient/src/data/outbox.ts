/**
 * Writing a change: the local record and its outbox entry in ONE IndexedDB
 * transaction (docs/sync.md, client duty 1), so a crash or an error leaves either both
 * or neither, and the entry's `seq` comes from a counter that only increases.
 */
import type { Table } from "dexie";
import { db, deleteMeta, ENTITY_NAMES, getMeta, type OutboxEntry, type SeqGap } from "../db";
import type { MutationArgs, MutationName } from "../mutations";
import { nowIso } from "../time";
import { applyEntry, overlayContext, targetsOf } from "./overlay";

/** Every table a change may touch: its rows, the outbox and the seq counter. */
export function writeTables() {
  return [db.outbox, db.meta, ...ENTITY_NAMES.map((name) => db[name])];
}

/**
 * The next sequence number, taken inside the caller's transaction. Never below one
 * the server has acknowledged, so a device whose counter was lost cannot reuse a seq.
 */
export async function allocateSeq(): Promise<number> {
  const next = Number((await db.meta.get("next_seq"))?.value ?? 1);
  const acknowledged = Number((await db.meta.get("last_acknowledged_seq"))?.value ?? 0);
  const last = (await db.outbox.orderBy("seq").last())?.seq ?? 0;
  const seq = Math.max(next, acknowledged + 1, last + 1);
  await db.meta.put({ key: "next_seq", value: seq + 1 });
  return seq;
}

/** A change's arguments (typed by the mutation's name) and the row version it edits. */
export interface Change<K extends MutationName> {
  args: MutationArgs[K];
  base_version?: number | null;
}

/**
 * Queue mutation `name`: `build` runs inside the transaction (to read the rows the
 * change is based on) and returns its arguments, or null when there is nothing to
 * change; the change is laid over the local rows and the outbox entry added, all or
 * nothing. `also`: tables `build` writes beyond those (a new visit's photos).
 */
export async function enqueue<K extends MutationName>(
  name: K,
  build: () => Promise<Change<K> | null> | Change<K> | null,
  also: Table[] = [],
): Promise<OutboxEntry<K> | null> {
  const queued = await db.transaction("rw", [...writeTables(), ...also], async () => {
    const change = await build();
    if (change === null) return null;
    const entry: OutboxEntry<K> = {
      seq: await allocateSeq(),
      mutation_id: crypto.randomUUID(),
      name,
      args: change.args,
      base_version: change.base_version ?? null,
      client_time: nowIso(),
      status: "pending",
      targets: await targetsOf(name, change.args),
    };
    await applyEntry(entry, await overlayContext());
    await db.outbox.add(entry);
    return entry;
  });
  if (queued !== null) listeners.forEach((listener) => listener());
  return queued;
}

type Listener = () => void;
const listeners = new Set<Listener>();

/** Tell the sync engine something waits to be sent (a photo added to a logged visit). */
export function announceLocalChange(): void {
  listeners.forEach((listener) => listener());
}

/** Called after each queued change has committed (the sync engine pushes soon after). */
export function onLocalChange(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** `value` without the keys whose value is undefined (the server rejects unknown keys, not absent ones). */
export function defined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/** Changes the server failed to apply (a bug on its side) and will be sent again. */
export function retryingChanges(): Promise<OutboxEntry[]> {
  return db.outbox
    .orderBy("seq")
    .filter((entry) => entry.result?.status === "failed")
    .toArray();
}

/** Changes numbered on this phone that were gone before they reached the server. */
export async function seqGaps(): Promise<SeqGap[]> {
  return (await getMeta("seq_gaps")) ?? [];
}

export async function dismissSeqGaps(): Promise<void> {
  await deleteMeta("seq_gaps");
}
