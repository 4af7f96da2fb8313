import { describe, expect, it } from "vitest";
import { apiFor, signIn } from "../test/helpers";
import { customerId, FakeServer, seedPortfolio, taskId } from "../test/fakeServer";
import { pull } from "../sync/pull";
import { agendaFor, customerCard, pendingCount, searchCustomers, spendTable } from "./queries";
import { completeTask, createTask } from "./writes";

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
});
