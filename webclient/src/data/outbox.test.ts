import { describe, expect, it } from "vitest";
import { db, reopenDb } from "../db";
import { apiFor, signIn } from "../test/helpers";
import { customerId, FakeServer, seedPortfolio, taskId } from "../test/fakeServer";
import { pull } from "../sync/pull";
import { push } from "../sync/push";
import { createTask, logVisit, transitionComplaint, updateTask, LocalRefusal } from "./writes";

async function syncedDevice() {
  const server = new FakeServer();
  seedPortfolio(server, 2);
  await signIn(server);
  await pull(apiFor(server));
  return server;
}

describe("writing a change", () => {
  it("writes the record and its outbox entry together", async () => {
    await signIn(new FakeServer());
    const id = await logVisit({
      customer_id: customerId(1),
      channel: "phone",
      purpose: "routine",
      notes: "asked about 5G",
    });

    const visit = await db.visits.get(id);
    expect(visit).toMatchObject({ id, notes: "asked about 5G", _local: true, version: 0 });
    const [entry] = await db.outbox.toArray();
    expect(entry).toMatchObject({
      seq: 1,
      name: "log_visit",
      status: "pending",
      base_version: null,
    });
    expect(entry!.args).toMatchObject({
      id,
      customer_id: customerId(1),
      channel: "phone",
      notes: "asked about 5G",
    });
    expect(entry!.client_time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d$/);
  });

  it("keeps neither when the outbox write fails", async () => {
    await signIn(new FakeServer());
    // The outbox insert fails after the visit row was put: the transaction must undo both.
    const spy = db.outbox.add.bind(db.outbox);
    db.outbox.add = (() =>
      Promise.reject(new Error("disk full"))) as unknown as typeof db.outbox.add;
    try {
      await expect(
        logVisit({ customer_id: customerId(1), channel: "sms", purpose: "holiday" }),
      ).rejects.toThrow("disk full");
    } finally {
      db.outbox.add = spy;
    }
    expect(await db.visits.count()).toBe(0);
    expect(await db.outbox.count()).toBe(0);
    expect(await db.meta.get("next_seq")).toBeUndefined();
  });

  it("never reuses a seq, across restarts and after the outbox empties", async () => {
    const server = await syncedDevice();
    await createTask({ title: "call back" });
    await createTask({ title: "send offer" });
    expect((await db.outbox.toArray()).map((e) => e.seq)).toEqual([1, 2]);

    await push(apiFor(server));
    expect(await db.outbox.count()).toBe(0);
    reopenDb();
    await createTask({ title: "after restart" });
    expect((await db.outbox.toArray()).map((e) => e.seq)).toEqual([3]);

    // A lost counter still lands above what the server acknowledged.
    await db.meta.delete("next_seq");
    await db.outbox.clear();
    await createTask({ title: "counter lost" });
    expect((await db.outbox.toArray()).map((e) => e.seq)).toEqual([3]);
    await db.meta.put({ key: "last_acknowledged_seq", value: 41 });
    await db.meta.delete("next_seq");
    await createTask({ title: "counter lost again" });
    expect((await db.outbox.toArray()).map((e) => e.seq)).toEqual([3, 42]);
  });
});

describe("updateTask", () => {
  it("sends the changed fields with their base values and the base version", async () => {
    await syncedDevice();
    const entry = await updateTask(taskId(1), {
      title: "回访 (改期)",
      due_date: "2026-11-30",
      notes: null,
    });

    // notes was already null: not a change, not sent.
    expect(entry!.args).toEqual({
      id: taskId(1),
      changes: { title: "回访 (改期)", due_date: "2026-11-30" },
      base: { title: "回访1", due_date: "2026-11-25" },
    });
    expect(entry!.base_version).toBe(1);
    const task = await db.tasks.get(taskId(1));
    expect(task).toMatchObject({ title: "回访 (改期)", due_date: "2026-11-30", version: 1 });
    expect(task!._base).toEqual({ title: "回访1", due_date: "2026-11-25" });
  });

  it("bases a second edit on the first and keeps the server's values underneath", async () => {
    await syncedDevice();
    await updateTask(taskId(1), { title: "A" });
    const second = await updateTask(taskId(1), { title: "B" });
    expect(second!.args).toMatchObject({ changes: { title: "B" }, base: { title: "A" } });
    expect(second!.base_version).toBe(1);
    expect((await db.tasks.get(taskId(1)))!._base).toEqual({ title: "回访1" });
  });

  it("queues nothing when nothing changes", async () => {
    await syncedDevice();
    expect(await updateTask(taskId(1), { title: "回访1" })).toBeNull();
    expect(await db.outbox.count()).toBe(0);
  });
});

describe("transitionComplaint", () => {
  it("refuses a step the complaint's status does not allow, queueing nothing", async () => {
    await syncedDevice();
    const { logComplaint } = await import("./writes");
    const id = await logComplaint({
      customer_id: customerId(1),
      category: "billing",
      severity: "high",
      intake_channel: "in_person",
      description: "double charge",
    });
    await expect(transitionComplaint(id, "closed", { satisfaction: 5 })).rejects.toBeInstanceOf(
      LocalRefusal,
    );
    expect(await db.outbox.count()).toBe(1);
    await transitionComplaint(id, "in_progress");
    expect((await db.complaints.get(id))!.status).toBe("in_progress");
  });
});
