import { describe, expect, it } from "vitest";
import { db } from "../db";
import { createTask, dismissResult, logComplaint, logVisit, updateTask } from "../data/writes";
import { pendingCount, syncResults } from "../data/queries";
import { apiFor, expectSameAsServer, signIn } from "../test/helpers";
import { customerId, FakeServer, seedPortfolio, taskId } from "../test/fakeServer";
import { SyncHttpError } from "./api";
import { classify } from "./engine";
import { pull } from "./pull";
import { push } from "./push";

async function syncedDevice(customers = 2) {
  const server = new FakeServer();
  seedPortfolio(server, customers);
  await signIn(server);
  await pull(apiFor(server));
  return server;
}

const pushes = (server: FakeServer) =>
  server.log.filter((r) => r.path === "/api/v1/sync/push").length;

describe("push", () => {
  it("sends the outbox, drops what the server acknowledged and keeps its records", async () => {
    const server = await syncedDevice();
    const visit = await logVisit({
      customer_id: customerId(1),
      channel: "visit",
      purpose: "routine",
      notes: "met at the office",
    });

    const report = await push(apiFor(server));

    expect(report).toEqual({ sent: 1, applied: 1, rejected: 0, conflicts: 0, failed: 0 });
    expect(await db.outbox.count()).toBe(0);
    expect((await db.meta.get("last_acknowledged_seq"))?.value).toBe(1);
    const local = await db.visits.get(visit);
    expect(local).toEqual(server.get("visits", visit)); // the server's row: version 1, no _local
    await pull(apiFor(server));
    await expectSameAsServer(server);
  });

  it("applies a change once when the answer is lost and the push is retried", async () => {
    const server = await syncedDevice();
    const id = await createTask({ title: "bring the contract", customer_id: customerId(2) });
    const [entry] = await db.outbox.toArray();
    server.dropAnswers = 1;

    await expect(push(apiFor(server))).rejects.toThrow(TypeError);
    expect(await db.outbox.count()).toBe(1); // still queued: the device never heard back
    expect(server.applications.get(entry!.mutation_id)).toBe(1);

    await push(apiFor(server));
    expect(server.applications.get(entry!.mutation_id)).toBe(1);
    expect(await db.outbox.count()).toBe(0);
    expect(
      [...server.scope().get("tasks")!.values()].filter((t) => t.title === "bring the contract"),
    ).toHaveLength(1);
    expect((await db.tasks.get(id))?._local).toBeUndefined();
  });

  it("keeps rejected results for the user and removes what the server refused", async () => {
    const server = await syncedDevice();
    const id = await logComplaint({
      customer_id: customerId(1),
      category: "no-such-category",
      severity: "low",
      intake_channel: "phone",
      description: "slow data",
    });
    expect(await db.complaints.get(id)).toBeDefined();

    const report = await push(apiFor(server));

    expect(report.rejected).toBe(1);
    expect(await db.outbox.count()).toBe(0);
    expect(await db.complaints.get(id)).toBeUndefined();
    const [shown] = await syncResults();
    expect(shown).toMatchObject({
      name: "log_complaint",
      status: "rejected",
      code: "validation_error",
      args: { id, description: "slow data" },
    });
    expect(shown!.result.fields).toEqual({ category: ["Unknown category."] });

    // Still shown after another sync, until dismissed.
    await push(apiFor(server));
    await pull(apiFor(server));
    expect(await syncResults()).toHaveLength(1);
    await dismissResult(shown!.id);
    expect(await syncResults()).toHaveLength(0);
  });

  it("stops on 401 keeping the outbox, and sends it after signing in again", async () => {
    const server = await syncedDevice();
    await createTask({ title: "offline work" });
    server.signedIn = false;

    const failure = await push(apiFor(server)).catch((err: unknown) => err);

    expect(failure).toBeInstanceOf(SyncHttpError);
    expect(classify(failure).problem).toBe("signed_out");
    expect(await pendingCount()).toBe(1);
    server.signedIn = true;
    await push(apiFor(server));
    expect(await pendingCount()).toBe(0);
  });

  it("reports 426 as an update the user must take", async () => {
    const server = await syncedDevice();
    await createTask({ title: "x" });
    // A server that moved on to a schema this client does not speak yet.
    server.supportedSchema = [3];
    const failure = await push(apiFor(server)).catch((err: unknown) => err);
    expect(classify(failure).problem).toBe("update_required");
    expect(await pendingCount()).toBe(1);
  });

  it("fetches a fresh CSRF token once when the server refuses the old one", async () => {
    const server = await syncedDevice();
    await createTask({ title: "x" });
    server.csrfToken = "csrf-2";
    await push(apiFor(server));
    expect(await pendingCount()).toBe(0);
    expect((await db.meta.get("csrf_token"))?.value).toBe("csrf-2");
  });

  it("sends batches of at most 100 in seq order", async () => {
    const server = await syncedDevice();
    for (let i = 0; i < 150; i++) await createTask({ title: `task ${i}` });
    const report = await push(apiFor(server));
    expect(report.sent).toBe(150);
    expect(pushes(server)).toBe(2);
    expect(server.devices.values().next().value!.lastSeq).toBe(150);
  });

  it("shows both values when an edit conflicts, and keeps the conflict row", async () => {
    const server = await syncedDevice();
    server.update("tasks", taskId(1), { title: "changed by the lead" });
    await updateTask(taskId(1), { title: "changed on the phone" });

    const report = await push(apiFor(server));

    expect(report.conflicts).toBe(1);
    expect((await db.tasks.get(taskId(1)))?.title).toBe("changed on the phone");
    const conflicts = await db.sync_conflicts.toArray();
    expect(conflicts).toHaveLength(1);
    expect(conflicts[0]).toMatchObject({
      field: "title",
      lost_value: "changed by the lead",
      kept_value: "changed on the phone",
    });
    expect((await syncResults())[0]).toMatchObject({ status: "conflict", code: "field_conflict" });
    await pull(apiFor(server));
    await expectSameAsServer(server);
  });
});
