import { describe, expect, it, vi } from "vitest";
import { db, ENTITY_NAMES, SCHEMA_VERSION } from "../db";
import { createTask, logVisit, updateTask } from "../data/writes";
import { apiFor, expectSameAsServer, signIn } from "../test/helpers";
import {
  campaignId,
  contactId,
  customerId,
  FakeServer,
  revisionId,
  seedCampaign,
  seedPortfolio,
  targetId,
  taskId,
  visitId,
} from "../test/fakeServer";
import type { PullChange, PullPage, SyncApi } from "./api";
import { pull } from "./pull";
import { push } from "./push";
import { syncOnce } from "./syncOnce";

async function device(customers = 3) {
  const server = new FakeServer();
  seedPortfolio(server, customers);
  await signIn(server);
  return server;
}

describe("pull", () => {
  it("pages through a full sync, reporting progress, and ends with the server's view", async () => {
    const server = await device(10); // 3 reference rows + 5 per customer = 53 changes
    const progress: [number, number | null][] = [];

    const report = await pull(apiFor(server), {
      limit: 20,
      onProgress: (n, total) => progress.push([n, total]),
    });

    expect(report).toMatchObject({ pages: 3, changes: 53, full: true, reset: false });
    // The first page said how many the round holds: every page reports it.
    expect(progress).toEqual([
      [20, 53],
      [40, 53],
      [53, 53],
    ]);
    await expectSameAsServer(server);
    expect((await db.meta.get("last_sync_at"))?.value).toBeTruthy();

    // Next time only what changed since.
    server.update("customers", customerId(4), { notes: "moved office" });
    const next = await pull(apiFor(server), { limit: 20 });
    expect(next).toMatchObject({ pages: 1, changes: 1, full: false });
    await expectSameAsServer(server);
  });

  it("says when a full sync starts and ends, failed or not; not for a pull after it", async () => {
    const server = await device(10);
    const told: [boolean, number][] = [];
    const onFullSync = (running: boolean) => told.push([running, server.log.length]);
    const api = apiFor(server);
    const failing: SyncApi = {
      pull: async (params) => {
        if (params.cursor !== undefined) throw new TypeError("Failed to fetch");
        return api.pull(params);
      },
      push: (body, csrf) => api.push(body, csrf),
      csrfToken: () => api.csrfToken(),
      myNumbers: () => api.myNumbers(),
    };

    await expect(pull(failing, { limit: 20, onFullSync })).rejects.toThrow("Failed to fetch");
    expect(told.map(([running]) => running)).toEqual([true, false]);

    // The first sync resumed (its first page was stored) is still one.
    told.length = 0;
    const report = await pull(apiFor(server), { limit: 20, onFullSync });
    expect(report).toMatchObject({ pages: 2, full: false });
    // Said before the first page was asked for, and once more after the last was stored.
    expect(told.map(([running]) => running)).toEqual([true, false]);
    expect(told[1]![1] - told[0]![1]).toBe(2);

    told.length = 0;
    server.update("customers", customerId(4), { notes: "moved office" });
    await pull(apiFor(server), { limit: 20, onFullSync });
    expect(told).toEqual([]);
  });

  it("pulls a page again after a crash between storing it and saving its cursor", async () => {
    const server = await device(10);
    let pages = 0;
    const crashOnSecond = () => {
      pages += 1;
      if (pages === 2) throw new Error("tab killed");
    };

    await expect(pull(apiFor(server), { limit: 20, afterApply: crashOnSecond })).rejects.toThrow(
      "tab killed",
    );
    // Only the first page (10 customers and their 10 contacts) was stored.
    const counts = await Promise.all(ENTITY_NAMES.map((name) => db[name].count()));
    expect(counts.reduce((a, b) => a + b)).toBe(20);
    server.update("tasks", taskId(7), { title: "changed meanwhile" });

    await pull(apiFor(server), { limit: 20 });
    await pull(apiFor(server), { limit: 20 });
    await expectSameAsServer(server);
  });

  it("drops a customer that left the scope with everything under it", async () => {
    const server = await device(3);
    await pull(apiFor(server));
    // A conflict of this user about customer 1: the user's own, kept whatever the customer.
    server.put("sync_conflicts", {
      id: "90000000-0000-4000-8000-000000000001",
      kind: "field",
      entity: "tasks",
      row_id: taskId(1),
      customer_id: customerId(1),
      user_id: server.userId,
      field: "title",
      status: "open",
      version: 1,
    });
    server.put("tasks", {
      id: taskId(99),
      owner_id: "someone-else",
      customer_id: customerId(1),
      title: "lead's task",
      status: "open",
      version: 1,
    });
    await pull(apiFor(server));
    expect(await db.tasks.get(taskId(99))).toBeDefined();

    server.reassignAway(customerId(1));
    await pull(apiFor(server));

    expect(await db.customers.get(customerId(1))).toBeUndefined();
    expect(await db.contacts.get(contactId(1))).toBeUndefined();
    expect(await db.visits.get(visitId(1))).toBeUndefined();
    expect(await db.visit_revisions.get(revisionId(1))).toBeUndefined();
    expect(await db.tasks.get(taskId(99))).toBeUndefined();
    expect(await db.tasks.get(taskId(1))).toBeDefined(); // the user's own: sent again after the cascade
    expect(await db.sync_conflicts.count()).toBe(1);
    expect(await db.customers.count()).toBe(2);
    expect(await db.visit_revisions.count()).toBe(2);
    await expectSameAsServer(server);
  });

  it("drops a leaving customer's campaign targets, and the campaigns that target no one else here", async () => {
    const server = await device(3);
    seedCampaign(server, 1, [1, 2]);
    seedCampaign(server, 2, [1]);
    await pull(apiFor(server));
    expect(await db.campaigns.count()).toBe(2);

    server.reassignAway(customerId(1));
    await pull(apiFor(server));

    expect(await db.campaign_targets.get(targetId(101))).toBeUndefined();
    expect(await db.campaign_targets.get(targetId(102))).toBeDefined();
    expect(await db.campaigns.get(campaignId(1))).toBeDefined();
    expect(await db.campaigns.get(campaignId(2))).toBeUndefined();
    await expectSameAsServer(server);
  });

  it("pulls a copy made under schema 1 again from scratch, keeping the outbox", async () => {
    const server = await device(2);
    await pull(apiFor(server));
    // What a schema-1 client left: its copy and cursor, and a change not sent yet.
    await db.meta.put({ key: "schema_version", value: 1 });
    await updateTask(taskId(1), { title: "offline edit" });
    // Launched before this client could pull campaigns: its stamp is behind the cursor.
    seedCampaign(server, 1, [2], "launched");
    const stamp = server.clock - 1;
    for (const stored of server.rows.values()) if (stored.stamp === stamp) stored.stamp = 1;

    const report = await pull(apiFor(server));

    expect(report).toMatchObject({ reset: true, full: true });
    expect((await db.meta.get("schema_version"))?.value).toBe(SCHEMA_VERSION);
    expect(await db.campaign_targets.get(targetId(102))).toBeDefined();
    expect((await db.tasks.get(taskId(1)))?.title).toBe("offline edit");
    expect(await db.outbox.count()).toBe(1);
    expect(await pull(apiFor(server))).toMatchObject({ reset: false, full: false });
    await push(apiFor(server));
    await pull(apiFor(server));
    await expectSameAsServer(server);
  });

  it("on reset_required clears the copy, keeps the outbox and pulls from scratch", async () => {
    const server = await device(3);
    await pull(apiFor(server));
    const visit = await logVisit({
      customer_id: customerId(2),
      channel: "phone",
      purpose: "routine",
    });
    await updateTask(taskId(2), { title: "offline edit" });
    // Restored from a backup: a contact the device holds is gone without a tombstone.
    server.rows.delete(`contacts:${contactId(3)}`);
    server.newEpoch();

    const report = await pull(apiFor(server));

    expect(report).toMatchObject({ reset: true, full: true });
    expect(await db.contacts.get(contactId(3))).toBeUndefined();
    expect(await db.outbox.count()).toBe(2);
    expect((await db.visits.get(visit))?._local).toBe(true); // made offline, still shown
    expect((await db.tasks.get(taskId(2)))?.title).toBe("offline edit");

    await push(apiFor(server));
    await pull(apiFor(server));
    await expectSameAsServer(server);
    expect(server.get("tasks", taskId(2))?.title).toBe("offline edit");
  });

  it("keeps a pending edit visible over a newer pulled row", async () => {
    const server = await device(2);
    await pull(apiFor(server));
    await updateTask(taskId(1), { title: "mine" });
    server.update("tasks", taskId(1), { notes: "theirs" });

    await pull(apiFor(server));
    expect(await db.tasks.get(taskId(1))).toMatchObject({
      title: "mine",
      notes: "theirs",
      version: 2,
    });

    await syncOnce(apiFor(server));
    expect(server.get("tasks", taskId(1))).toMatchObject({
      title: "mine",
      notes: "theirs",
      version: 3,
    });
    await expectSameAsServer(server);
  });

  it("ends equal when a push's answer was lost and the row changed again after it", async () => {
    const server = await device(2);
    await pull(apiFor(server));
    await updateTask(taskId(1), { title: "mine" });
    server.dropAnswers = 1;
    await expect(push(apiFor(server))).rejects.toThrow(TypeError);
    // Someone else renames it after our edit landed; the device pulls before it pushes again.
    server.update("tasks", taskId(1), { title: "theirs, later" });
    await pull(apiFor(server));

    await push(apiFor(server)); // answered from the stored result (version 2, older)
    expect(await db.tasks.get(taskId(1))).toMatchObject({ title: "theirs, later", version: 3 });
    await expectSameAsServer(server);
  });

  it("pushes changes made during a sync in the same syncOnce", async () => {
    const server = await device(1);
    await syncOnce(apiFor(server), {
      afterApply: async () => {
        if ((await db.outbox.count()) === 0) await createTask({ title: "typed while syncing" });
      },
    });
    expect(await db.outbox.count()).toBe(0);
    expect(
      [...server.scope().get("tasks")!.values()].some((t) => t.title === "typed while syncing"),
    ).toBe(true);
  });
});

/** A server that answers pulls with the pages given, in turn (and nothing else). */
function pagesApi(pages: Omit<PullPage, "last_acknowledged_seq" | "server_time">[]): SyncApi {
  let next = 0;
  const refuse = () => Promise.reject(new Error("not in this test"));
  return {
    pull: () =>
      Promise.resolve({
        last_acknowledged_seq: 0,
        server_time: "2026-11-25T08:00:00+00:00",
        ...pages[next++]!,
      }),
    push: refuse,
    csrfToken: refuse,
    myNumbers: refuse,
  };
}

function taskRow(n: number, title: string, customer: string | null) {
  return { id: taskId(n), owner_id: "u", customer_id: customer, title, status: "open", version: 1 };
}

describe("pull stores pages in bulk", () => {
  it("ends as applying the page's changes one by one, in order, would", async () => {
    await signIn(new FakeServer());
    const upsert = (entity: PullChange["entity"], row: { id: string }): PullChange => ({
      entity,
      op: "upsert",
      id: row.id,
      row,
    });
    const changes: PullChange[] = [
      upsert("customers", { id: customerId(1) }),
      upsert("tasks", taskRow(1, "first", customerId(1))),
      upsert("tasks", taskRow(2, "first", customerId(1))),
      { entity: "tasks", op: "delete", id: taskId(1) },
      upsert("tasks", taskRow(1, "again", null)),
      upsert("tasks", taskRow(2, "second", customerId(1))),
      { entity: "customers", op: "delete", id: customerId(1), cascade: true },
      // The user's own task of the customer that left comes again after the cascade.
      upsert("tasks", taskRow(2, "own", customerId(1))),
      { entity: "contacts", op: "delete", id: contactId(9) }, // not held: nothing to do
    ];
    const rowByRow = vi.spyOn(db.tasks, "put");
    const bulk = vi.spyOn(db.tasks, "bulkPut");

    await pull(pagesApi([{ changes, cursor: "c1", has_more: false }]));

    expect(await db.customers.count()).toBe(0);
    // Task 1 lost its customer in its last upsert, so the cascade left it; task 2 came back.
    expect(await db.tasks.get(taskId(1))).toMatchObject({ title: "again", customer_id: null });
    expect(await db.tasks.get(taskId(2))).toMatchObject({ title: "own" });
    expect(await db.tasks.count()).toBe(2);
    expect((await db.meta.get("cursor"))?.value).toBe("c1");
    expect(rowByRow).not.toHaveBeenCalled();
    // One bulk write per run of upserts: before the delete, before the cascade, after it.
    expect(bulk).toHaveBeenCalledTimes(3);
  });

  it("writes a page of 2,000 rows of one table with one bulk request", async () => {
    await signIn(new FakeServer());
    const changes: PullChange[] = Array.from({ length: 2000 }, (_, k) => {
      const id = `70000000-0000-4000-8000-${String(k).padStart(12, "0")}`;
      const row = { id, customer_id: customerId(1), month: "2026-10-01", service: "mobile" };
      return { entity: "monthly_spend", op: "upsert", id, row };
    });
    const rowByRow = vi.spyOn(db.monthly_spend, "put");
    const bulk = vi.spyOn(db.monthly_spend, "bulkPut");

    await pull(pagesApi([{ changes, cursor: "c1", has_more: false }]));

    expect(await db.monthly_spend.count()).toBe(2000);
    expect(rowByRow).not.toHaveBeenCalled();
    expect(bulk).toHaveBeenCalledTimes(1);
  });

  it("asks for the next page while it stores one", async () => {
    const server = await device(10); // 53 changes: 3 pages of 20
    const pulls = () => server.log.filter((r) => r.path === "/api/v1/sync/pull").length;
    const askedWhileStoring: number[] = [];

    await pull(apiFor(server), {
      limit: 20,
      afterApply: () => void askedWhileStoring.push(pulls()),
    });

    // While page 1 was being stored, page 2 was asked for already; the last asks for none.
    expect(askedWhileStoring).toEqual([2, 3, 3]);
    await expectSameAsServer(server);
  });

  it("keeps the stored page and its cursor when the page asked for ahead fails", async () => {
    const server = await device(10);
    const api = apiFor(server);
    const real = api.pull.bind(api);
    let calls = 0;
    api.pull = (params) => {
      calls += 1;
      return calls === 2 ? Promise.reject(new TypeError("Failed to fetch")) : real(params);
    };

    await expect(pull(api, { limit: 20 })).rejects.toThrow(TypeError);

    // Page 1 (10 customers and their 10 contacts) stored, with its cursor.
    const counts = await Promise.all(ENTITY_NAMES.map((name) => db[name].count()));
    expect(counts.reduce((a, b) => a + b)).toBe(20);
    expect((await db.meta.get("cursor"))?.value).toBeDefined();
    expect(await pull(apiFor(server), { limit: 20 })).toMatchObject({ pages: 2, full: false });
    await expectSameAsServer(server);
  });
});
