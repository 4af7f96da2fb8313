/**
 * The push never loses or blocks (docs/sync.md, Push): a seq gap the server refuses is
 * closed and reported, and a change the server fails to apply stays queued, is tried
 * again at later syncs, and after three failures is shown as failed for good while
 * the rest of the outbox goes on.
 */
import { describe, expect, it } from "vitest";
import { db } from "../db";
import { createTask, logComplaint, logVisit } from "../data/writes";
import { pendingCount, syncResults } from "../data/queries";
import { retryingChanges, seqGaps } from "../data/outbox";
import { apiFor, signIn } from "../test/helpers";
import { customerId, FakeServer, seedPortfolio } from "../test/fakeServer";
import { pull } from "./pull";
import { push } from "./push";

async function syncedDevice() {
  const server = new FakeServer();
  seedPortfolio(server, 2);
  await signIn(server);
  await pull(apiFor(server));
  return server;
}

const complaint = {
  customer_id: customerId(1),
  category: "billing",
  severity: "low" as const,
  intake_channel: "phone" as const,
  description: "slow data",
};

const tasksTitled = (server: FakeServer, title: string) =>
  [...server.scope().get("tasks")!.values()].filter((t) => t.title === title);

describe("a push the server refuses for a seq gap", () => {
  it("numbers the changes it holds again from the expected seq and reports the missing ones", async () => {
    const server = await syncedDevice();
    // This phone's counter ran ahead (numbers 1 to 4 were lost before they were sent).
    await db.meta.put({ key: "next_seq", value: 5 });
    await createTask({ title: "five" });
    await createTask({ title: "six" });
    expect((await db.outbox.toArray()).map((e) => e.seq)).toEqual([5, 6]);

    const report = await push(apiFor(server));

    expect(report.applied).toBe(2);
    expect(tasksTitled(server, "five")).toHaveLength(1);
    expect(tasksTitled(server, "six")).toHaveLength(1);
    expect(server.devices.values().next().value!.lastSeq).toBe(2);
    expect(await db.outbox.count()).toBe(0);
    expect(await seqGaps()).toMatchObject([{ from: 1, to: 4 }]);
    // The next change follows on: no new gap.
    await createTask({ title: "seven" });
    expect((await db.outbox.toArray())[0]!.seq).toBe(3);
    await push(apiFor(server));
    expect(tasksTitled(server, "seven")).toHaveLength(1);
  });
});

describe("a change the server fails to apply", () => {
  it("stays queued while the rest goes on, is tried at each sync, then is shown failed", async () => {
    const server = await syncedDevice();
    server.crashing.add("log_complaint");
    const visit = await logVisit({
      customer_id: customerId(1),
      channel: "visit",
      purpose: "routine",
    });
    const complaintId = await logComplaint(complaint);
    await createTask({ title: "after the complaint" });

    const first = await push(apiFor(server));

    expect(first).toMatchObject({ sent: 3, applied: 2, failed: 1, rejected: 0 });
    expect(server.get("visits", visit)).toBeDefined();
    expect(tasksTitled(server, "after the complaint")).toHaveLength(1);
    // Kept on the phone, as the user entered it, and not sent again in the same push.
    expect(await pendingCount()).toBe(1);
    expect(await db.complaints.get(complaintId)).toBeDefined();
    const [retrying] = await retryingChanges();
    expect(retrying).toMatchObject({ name: "log_complaint", result: { attempts: 1 } });
    expect(server.attempts.get([...server.attempts.keys()][0]!)).toBe(1);

    expect((await push(apiFor(server))).failed).toBe(1);
    const third = await push(apiFor(server));
    expect(third).toMatchObject({ rejected: 1, failed: 0 });
    expect(await pendingCount()).toBe(0);
    expect(await retryingChanges()).toEqual([]);
    const [shown] = await syncResults();
    expect(shown).toMatchObject({ name: "log_complaint", code: "mutation_failed" });
    expect(shown!.args).toMatchObject({ id: complaintId, description: "slow data" });
    // New changes keep flowing.
    await createTask({ title: "later" });
    await push(apiFor(server));
    expect(tasksTitled(server, "later")).toHaveLength(1);
  });

  it("is applied once when the server is fixed before it gives up", async () => {
    const server = await syncedDevice();
    server.crashing.add("log_complaint");
    const complaintId = await logComplaint(complaint);
    await push(apiFor(server));
    server.crashing.clear();

    const report = await push(apiFor(server));

    expect(report.applied).toBe(1);
    expect(server.get("complaints", complaintId)).toBeDefined();
    expect(await pendingCount()).toBe(0);
    expect(await retryingChanges()).toEqual([]);
    expect(await syncResults()).toEqual([]);
    await push(apiFor(server));
    expect([...server.applications.values()]).toEqual([1]);
  });
});
