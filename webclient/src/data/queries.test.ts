import { describe, expect, it } from "vitest";
import { db, type StoredMyNumbers } from "../db";
import { INDICATOR_CODES } from "../figures";
import { apiFor, expectSameAsServer, signIn } from "../test/helpers";
import {
  customerId,
  FakeServer,
  sampleNumbers,
  planId,
  seedPlan,
  seedPortfolio,
  taskId,
} from "../test/fakeServer";
import { pull } from "../sync/pull";
import { push } from "../sync/push";
import { isoWithOffset, setClock } from "../time";
import {
  agendaFor,
  answerCount,
  complaintCategories,
  complaintDetail,
  customerCard,
  myNumbers,
  numbersView,
  pendingCount,
  portfolioSize,
  searchCustomers,
  spendTable,
  taskDetail,
  tierList,
  warningDetail,
} from "./queries";
import {
  addComplaintNote,
  completeTask,
  createTask,
  flagWarning,
  logComplaint,
  logVisit,
  transitionComplaint,
  updateCustomerProfile,
} from "./writes";
import { matchingPlan, type AgendaItem } from "./queries";
import { triage } from "./triage";

async function device(customers: number) {
  const server = new FakeServer();
  seedPortfolio(server, customers);
  await signIn(server);
  await pull(apiFor(server));
  return server;
}

describe("queries", () => {
  it("searches the portfolio by name, phone and tier", async () => {
    await device(12);
    expect((await searchCustomers({ q: "客户1" })).map((c) => c.name)).toEqual([
      "客户1",
      "客户10",
      "客户11",
      "客户12",
    ]);
    expect((await searchCustomers({ q: "0007" })).map((c) => c.name)).toEqual(["客户7"]);
    expect(await searchCustomers({ tier: "diamond" })).toEqual([]);
    expect(await searchCustomers({ tier: "gold", stage: "maturity" })).toHaveLength(12);
  });

  it("builds a customer's card and the day's agenda from the local copy", async () => {
    await device(2);
    const card = await customerCard(customerId(1));
    expect(card).toMatchObject({
      customer: { name: "客户1" },
      tier: { code: "gold" },
      contacts: [{ name: "联系人1" }],
    });

    setClock(() => new Date(2026, 10, 18, 9, 0)); // made before it was due
    await createTask({
      title: "overdue thing",
      customer_id: customerId(2),
      due_date: "2026-11-20",
    });
    await completeTask(taskId(2));
    const agenda = await agendaFor("2026-11-25");
    expect(
      agenda.map((item) => [
        item.type,
        item.overdue,
        item.type === "task" ? item.task.title : null,
      ]),
    ).toEqual([
      ["task", true, "overdue thing"],
      ["task", false, "回访1"],
    ]);
    expect(await pendingCount()).toBe(2);
  });

  it("lists every open thing once, in Today's sections, the most urgent first", async () => {
    await device(3);
    setClock(() => new Date(2026, 10, 25, 9, 0));
    await createTask({
      title: "due on the 27th",
      customer_id: customerId(1),
      due_date: "2026-11-27",
    });
    await createTask({ title: "next month", customer_id: null, due_date: "2026-12-20" });
    await updateCustomerProfile(customerId(2), { birthday: "1980-11-26" });

    const sections = triage(await agendaFor("2026-11-25"), "2026-11-25");
    const named = (items: AgendaItem[]) =>
      items.map((item) =>
        item.type === "task" ? item.task.title : `${item.type}:${item.customer?.name}`,
      );

    expect(named(sections.today)).toEqual(["回访1", "回访2", "回访3"]);
    expect(named(sections.overdue)).toEqual([]);
    // A birthday shows in the week before it comes, a task on its day's section.
    expect(named(sections.week)).toEqual(["birthday:客户2", "due on the 27th"]);
    expect(named(sections.later)).toEqual(["next month"]);
    expect(sections.week[0]?.due).toBe("2026-11-26");
  });

  it("sums monthly spend in exact cents", () => {
    const table = spendTable([
      { month: "2026-10-01", service: "mobile", amount: "0.10" },
      { month: "2026-10-01", service: "data", amount: "0.20" },
      { month: "2026-11-01", service: "mobile", amount: "128.50" },
    ]);
    expect(table).toEqual({
      months: ["2026-10-01", "2026-11-01"],
      services: { mobile: ["0.10", "128.50"], data: ["0.20", null] },
      total: ["0.30", "128.50"],
    });
  });

  it("finds an organisation's people by their employer", async () => {
    await device(3);
    await updateCustomerProfile(customerId(2), { employer: "Harbour Hotel 港湾酒店" });
    expect((await searchCustomers({ q: "harbourhotel" })).map((c) => c.name)).toEqual(["客户2"]);
    expect((await searchCustomers({ q: "港湾" }))[0]).toMatchObject({
      employer: "Harbour Hotel 港湾酒店",
      unsynced: true,
    });
    expect(await portfolioSize()).toBe(3);
    expect((await tierList()).map((t) => t.code)).toEqual(["gold"]);
    expect((await complaintCategories()).map((c) => c.code)).toEqual(["billing"]);
  });

  it("shows a complaint with the steps still waiting on this device and where it may go next", async () => {
    await device(1);
    const id = await logComplaint({
      customer_id: customerId(1),
      category: "billing",
      severity: "high",
      intake_channel: "in_person",
      description: "double charge",
    });
    expect((await complaintDetail(id))?.allowedNext).toEqual(["in_progress"]);

    await transitionComplaint(id, "in_progress", { note: "called billing" });
    await addComplaintNote(id, "waiting for refund");
    const detail = await complaintDetail(id);
    expect(detail).toMatchObject({
      complaint: { status: "in_progress", description: "double charge" },
      customer: { name: "客户1", tier: { code: "gold" } },
      category: { code: "billing" },
      allowedNext: ["resolved"],
    });
    expect(detail?.steps.map((s) => [s.pending, s.to_status, s.note])).toEqual([
      [true, "in_progress", "called billing"],
      [true, null, "waiting for refund"],
    ]);
    expect(await complaintDetail(customerId(1))).toBeUndefined();
  });

  it("shows one task and one warning with their customer", async () => {
    await device(2);
    await completeTask(taskId(2));
    expect(await taskDetail(taskId(2))).toMatchObject({
      task: { title: "回访2", status: "done" },
      customer: { name: "客户2" },
      unsynced: true,
    });
    expect(await taskDetail(taskId(1))).toMatchObject({ unsynced: false });

    const warning = await flagWarning(customerId(1), "competitor", "offer from rival");
    expect(await warningDetail(warning)).toMatchObject({
      warning: { status: "open", reasons: [{ code: "competitor" }] },
      customer: { name: "客户1" },
    });
    expect(await warningDetail(customerId(1))).toBeUndefined();
  });
});

describe("the plan a visit fulfils", () => {
  /** Customer 1's plans, by number; pulled onto the device. */
  async function plans(...fields: Record<string, unknown>[]) {
    const server = new FakeServer();
    seedPortfolio(server, 2);
    fields.forEach((f, i) => seedPlan(server, i + 1, 1, f));
    await signIn(server);
    await pull(apiFor(server));
    return server;
  }

  it("takes the late missed plan before the one due now", async () => {
    await plans(
      { due_from: "2026-11-20", due_to: "2026-11-30" },
      { status: "missed", due_from: "2026-11-01", due_to: "2026-11-10" },
    );
    expect((await matchingPlan(customerId(1), "routine", "2026-11-25"))?.id).toBe(planId(2));
  });

  it("skips a plan whose window opens later, another purpose and closed plans", async () => {
    await plans(
      { due_from: "2026-11-26", due_to: "2026-11-26" },
      { purpose: "birthday", due_from: "2026-11-01", due_to: "2026-11-10" },
      { status: "done", due_from: "2026-11-01", due_to: "2026-11-10" },
      { status: "cancelled", due_from: "2026-11-01", due_to: "2026-11-10" },
      { due_from: "2026-11-25", due_to: "2026-12-31" },
    );
    expect((await matchingPlan(customerId(1), "routine", "2026-11-25"))?.id).toBe(planId(5));
    // The day the first one opens, it is due first.
    expect((await matchingPlan(customerId(1), "routine", "2026-11-26"))?.id).toBe(planId(1));
    expect((await matchingPlan(customerId(1), "birthday", "2026-11-25"))?.id).toBe(planId(2));
    expect(await matchingPlan(customerId(1), "holiday", "2026-11-25")).toBeUndefined();
    expect(await matchingPlan(customerId(2), "routine", "2026-11-25")).toBeUndefined();
  });

  it("breaks ties by the earliest due_from, then the smallest id", async () => {
    await plans(
      { due_from: "2026-11-22", due_to: "2026-11-30" },
      { due_from: "2026-11-21", due_to: "2026-11-30" },
      { due_from: "2026-11-21", due_to: "2026-11-30" },
    );
    expect((await matchingPlan(customerId(1), "routine", "2026-11-25"))?.id).toBe(planId(2));
    await db.care_plans.delete(planId(2));
    expect((await matchingPlan(customerId(1), "routine", "2026-11-25"))?.id).toBe(planId(3));
  });

  it("logVisit without a plan sends the matching one, shown done at once and done on the server", async () => {
    const server = await plans(
      { due_from: "2026-11-25", due_to: "2026-11-25" },
      { due_from: "2026-11-24", due_to: "2026-11-24", customer_id: customerId(2) },
    );
    setClock(() => new Date(2026, 10, 25, 15, 30));
    const started = isoWithOffset(new Date(2026, 10, 25, 15, 0));
    const visit = await logVisit({
      customer_id: customerId(1),
      channel: "visit",
      purpose: "routine",
      started_at: started,
    });
    const none = await logVisit({
      customer_id: customerId(2),
      channel: "phone",
      purpose: "routine",
      plan_id: null,
    });

    const [first, second] = await db.outbox.orderBy("seq").toArray();
    expect(first!.args).toMatchObject({ plan_id: planId(1) });
    expect(second!.args).toMatchObject({ plan_id: null });
    expect(await db.care_plans.get(planId(1))).toMatchObject({
      status: "done",
      completed_at: started,
    });
    expect((await db.care_plans.get(planId(2)))?.status).toBe("planned");
    expect((await db.visits.get(visit))?.plan_id).toBe(planId(1));

    await push(apiFor(server));
    await pull(apiFor(server));
    expect(server.get("care_plans", planId(1))).toMatchObject({ status: "done" });
    expect(server.get("care_plans", planId(2))).toMatchObject({ status: "planned" });
    expect(server.get("visits", visit)?.plan_id).toBe(planId(1));
    expect(server.get("visits", none)?.plan_id).toBeNull();
    await expectSameAsServer(server);
  });

  it("the fake server matches the same plan when plan_id is left out", async () => {
    const server = await plans(
      { due_from: "2026-11-20", due_to: "2026-11-30" },
      { status: "missed", due_from: "2026-11-01", due_to: "2026-11-10" },
      { due_from: "2026-11-26", due_to: "2026-11-26" },
    );
    const started = "2026-11-25T09:00:00.000+08:00";
    expect(server.matchingPlan(customerId(1), "routine", started)?.id).toBe(
      (await matchingPlan(customerId(1), "routine", "2026-11-25"))?.id,
    );
    const answer = await apiFor(server).push(
      {
        device_id: "d0000000-0000-4000-8000-000000000001",
        schema_version: 2,
        mutations: [
          {
            id: "e0000000-0000-4000-8000-000000000001",
            seq: 1,
            name: "log_visit",
            args: {
              id: "f0000000-0000-4000-8000-000000000001",
              customer_id: customerId(1),
              channel: "phone",
              purpose: "routine",
              started_at: started,
            },
            base_version: null,
            client_time: started,
          },
        ],
      },
      server.csrfToken,
    );
    expect(answer.results[0]).toMatchObject({ status: "applied", record: { plan_id: planId(2) } });
    expect(server.get("care_plans", planId(2))).toMatchObject({
      status: "done",
      completed_at: started,
    });
  });
});

describe("my numbers", () => {
  const USER = "00000000-0000-4000-8000-000000000001";
  const FETCHED = "2026-11-25T10:00:00.000+08:00";

  function storedCopy(numbers = sampleNumbers(), user = USER): StoredMyNumbers {
    return { user_id: user, fetched_at: FETCHED, numbers };
  }

  async function store(copy: StoredMyNumbers, boundUser = USER) {
    await db.meta.bulkPut([
      { key: "user_id", value: boundUser },
      { key: "my_numbers", value: copy },
    ]);
  }

  it("are none before a sync brought them, and never another user's", async () => {
    expect(await myNumbers()).toBeNull();
    await store(storedCopy(sampleNumbers(), "someone-else"));
    expect(await myNumbers()).toBeNull();
    await store(storedCopy());
    expect(await myNumbers()).toMatchObject({ fetchedAt: FETCHED, rank: null });
  });

  it("list the indicators in the review's order, weighted ones apart from the monitored", async () => {
    await store(storedCopy());
    const view = (await myNumbers())!;
    const weighted = view.weighted.map((line) => line.code);
    const monitored = view.monitored.map((line) => line.code);
    // Weighted: a key of `scores`, with points or without data (null).
    expect(weighted).toEqual([
      "routine_care",
      "greetings_on_time",
      "privilege_awareness",
      "offer_participation",
      "retention_contract_rate",
      "value_retained",
      "customers_retained",
      "satisfaction",
    ]);
    expect(monitored).toEqual([
      "contact_coverage",
      "complaints_on_time",
      "overdue_tasks",
      "open_warnings",
      "warnings_kept",
    ]);
    expect([...weighted, ...monitored]).toEqual([...INDICATOR_CODES]);
  });

  it("keep no data as null, never 0, and a zero as 0", async () => {
    await store(storedCopy());
    const view = (await myNumbers())!;
    const line = (code: string) =>
      [...view.weighted, ...view.monitored].find((l) => l.code === code)!;
    expect(line("greetings_on_time")).toMatchObject({
      unit: "ratio",
      current: { value: null },
      previous: { value: null },
      points: null,
    });
    expect(line("routine_care")).toMatchObject({
      current: { value: 0.5 },
      previous: { value: null },
      points: 0,
    });
    expect(line("overdue_tasks")).toMatchObject({
      unit: "count",
      current: { value: 0 },
      points: null,
    });
    expect(view.current.score).toBe(60);
    expect(view.previous.score).toBeNull();
    expect(answerCount(line("satisfaction").current)).toBe(2);
    expect(answerCount(line("satisfaction").previous)).toBe(0);
  });

  it("give the rank only when the lead lets managers see it", async () => {
    const numbers = sampleNumbers();
    numbers.current = { ...numbers.current, rank: 2, team_size: 5 };
    expect(numbersView(storedCopy(numbers)).rank).toBeNull();
    numbers.show_rank = true;
    expect(numbersView(storedCopy(numbers)).rank).toEqual({ rank: 2, teamSize: 5 });
    // Shown, but no score this period: no rank either.
    numbers.current = { ...numbers.current, rank: null };
    expect(numbersView(storedCopy(numbers)).rank).toBeNull();
  });

  it("keep an indicator a newer server adds, after the known ones", () => {
    const numbers = sampleNumbers();
    const extra = {
      code: "new_thing",
      unit: "count" as const,
      value: 3,
      numerator: 3,
      denominator: 0,
      details: {},
    };
    numbers.current.figures = { ...numbers.current.figures, new_thing: extra };
    const view = numbersView(storedCopy(numbers));
    expect(view.monitored.at(-1)).toMatchObject({
      code: "new_thing",
      current: { value: 3 },
      previous: null,
    });
  });
});
