import { afterEach, describe, expect, it } from "vitest";
import { db } from "../db";
import { apiFor, expectSameAsServer, signIn } from "../test/helpers";
import { customerId, FakeServer, planId, seedPlan, seedPortfolio } from "../test/fakeServer";
import { pull } from "../sync/pull";
import { push } from "../sync/push";
import { setClock } from "../time";
import { agendaFor, pendingCount } from "./queries";
import { triage } from "./triage";
import { reschedulePlan, skipPlan, snoozedWindow, snoozePlan, snoozeTarget } from "./planChanges";
import { createPlan, createTask, LocalRefusal } from "./writes";

/** Three customers; plans 1-3 of customer 1, 2, 3 due today (Wednesday 25 November 2026). */
async function device() {
  const server = new FakeServer();
  seedPortfolio(server, 3);
  for (const n of [1, 2, 3])
    seedPlan(server, n, n, { due_from: "2026-11-20", due_to: "2026-11-25" });
  await signIn(server);
  await pull(apiFor(server));
  setClock(() => new Date(2026, 10, 25, 9, 0));
  return server;
}

afterEach(() => setClock(null));

async function refusal(promise: Promise<unknown>): Promise<Record<string, string[]>> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(LocalRefusal);
  return (error as LocalRefusal).fields;
}

describe("snooze", () => {
  it("moves a plan's end to tomorrow, three days on, or next Monday, never earlier", () => {
    const wednesday = "2026-11-25";
    expect(snoozeTarget("day", wednesday)).toBe("2026-11-26");
    expect(snoozeTarget("days3", wednesday)).toBe("2026-11-28");
    expect(snoozeTarget("week", wednesday)).toBe("2026-11-30");
    expect(snoozeTarget("week", "2026-11-29")).toBe("2026-11-30"); // a Sunday
    expect(snoozeTarget("week", "2026-11-30")).toBe("2026-12-07"); // a Monday
    const plan = { due_from: "2026-11-20", due_to: "2026-11-25" };
    expect(snoozedWindow(plan, "day", wednesday)).toEqual({
      due_from: "2026-11-20",
      due_to: "2026-11-26",
    });
    // An overdue one-day plan opens on the new day.
    expect(
      snoozedWindow({ due_from: "2026-11-01", due_to: "2026-11-01" }, "days3", wednesday),
    ).toMatchObject({ due_to: "2026-11-28" });
    // Due on the 30th already: a snooze to the 26th would bring it forward.
    expect(snoozedWindow({ ...plan, due_to: "2026-11-30" }, "day", wednesday)).toBeNull();
  });
});

describe("plan changes offline", () => {
  it("reschedules, snoozes and skips at once, and each reaches the server once", async () => {
    const server = await device();
    await reschedulePlan(planId(1), "2026-11-30", "2026-12-01");
    await snoozePlan(planId(2), "days3");
    await skipPlan(planId(3), "unreachable", "  No answer twice ");

    expect(await pendingCount()).toBe(3);
    const queued = (await db.outbox.orderBy("seq").toArray()).map((e) => e.mutation_id);
    const local = await db.care_plans.bulkGet([planId(1), planId(2), planId(3)]);
    expect(local.map((p) => [p?.due_from, p?.due_to, p?.status, p?.skip_reason])).toEqual([
      ["2026-11-30", "2026-12-01", "planned", undefined],
      ["2026-11-20", "2026-11-28", "planned", undefined],
      ["2026-11-20", "2026-11-25", "cancelled", "unreachable"],
    ]);
    // Today empties at once: the skipped plan is gone, the others moved on.
    const sections = triage(await agendaFor("2026-11-25"), "2026-11-25");
    expect(sections.today.filter((i) => i.type === "plan")).toEqual([]);
    expect(sections.week.filter((i) => i.type === "plan")).toHaveLength(2);
    const [skip] = (await db.outbox.orderBy("seq").toArray()).slice(-1);
    expect(skip?.args).toMatchObject({
      changes: { status: "cancelled", skip_reason: "unreachable", skip_note: "No answer twice" },
      base: { status: "planned", skip_reason: null, skip_note: null },
    });

    const api = apiFor(server);
    await push(api);
    await push(api); // nothing left to send: nothing sent twice
    await pull(api);
    expect(queued.map((id) => server.applications.get(id))).toEqual([1, 1, 1]);
    expect(server.get("care_plans", planId(3))).toMatchObject({
      status: "cancelled",
      skip_reason: "unreachable",
      skip_note: "No answer twice",
    });
    await expectSameAsServer(server);
  });

  it("refuses what the server would refuse, queueing nothing", async () => {
    await device();
    expect(await refusal(skipPlan(planId(1), "other", "  "))).toHaveProperty("skip_note");
    expect(await refusal(skipPlan(planId(1), "declined", "x".repeat(501)))).toHaveProperty(
      "skip_note",
    );
    expect(await refusal(reschedulePlan(planId(1), "2026-12-02", "2026-12-01"))).toHaveProperty(
      "due_to",
    );
    expect(await refusal(reschedulePlan(planId(1), "2026-11-20", "2026-11-24"))).toHaveProperty(
      "due_to",
    );
    expect(
      await refusal(
        createTask({ title: "Late", customer_id: customerId(1), due_date: "2026-11-24" }),
      ),
    ).toEqual({ due_date: ["Must not be in the past."] });
    expect(await pendingCount()).toBe(0);
  });

  it("creates a task and a plan offline that show on Today and reach the server once", async () => {
    const server = await device();
    const task = await createTask({
      title: "Bring the contract",
      customer_id: customerId(2),
      due_date: "2026-11-25",
    });
    const plan = await createPlan({
      customer_id: customerId(3),
      purpose: "contract_expiry",
      channel: "visit",
      due_from: "2026-11-26",
      due_to: "2026-11-27",
    });
    const sections = triage(await agendaFor("2026-11-25"), "2026-11-25");
    expect(sections.today.some((i) => i.type === "task" && i.task.id === task)).toBe(true);
    expect(sections.week.some((i) => i.type === "plan" && i.plan.id === plan)).toBe(true);

    const queued = (await db.outbox.orderBy("seq").toArray()).map((e) => e.mutation_id);
    const api = apiFor(server);
    await push(api);
    await push(api);
    await pull(api);
    expect(queued.map((id) => server.applications.get(id))).toEqual([1, 1]);
    expect(server.get("tasks", task)).toMatchObject({ title: "Bring the contract" });
    expect(server.get("care_plans", plan)).toMatchObject({ purpose: "contract_expiry" });
    await expectSameAsServer(server);
  });
});
