import { describe, expect, it } from "vitest";
import { apiFor, signIn } from "../test/helpers";
import { customerId, FakeServer, seedPortfolio, taskId } from "../test/fakeServer";
import { pull } from "../sync/pull";
import {
  agendaFor,
  complaintCategories,
  complaintDetail,
  customerCard,
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
  transitionComplaint,
  updateCustomerProfile,
} from "./writes";

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
