import { describe, expect, it } from "vitest";
import { db } from "../db";
import { apiFor, expectSameAsServer, signIn } from "../test/helpers";
import {
  campaignId,
  customerId,
  FakeServer,
  planId,
  seedCampaign,
  seedPortfolio,
  targetId,
} from "../test/fakeServer";
import { pull } from "../sync/pull";
import { push } from "../sync/push";
import { setClock } from "../time";
import { agendaFor, campaignTargetDetail, customerCard, pendingCount } from "./queries";
import { LocalRefusal, recordCampaignOutcome } from "./writes";

/** Campaign 1 (running) targets customers 1 and 2; campaign 2 (closed) customer 1. */
async function device() {
  const server = new FakeServer();
  seedPortfolio(server, 3);
  seedCampaign(server, 1, [1, 2]);
  seedCampaign(server, 2, [1], "closed");
  await signIn(server);
  await pull(apiFor(server));
  return server;
}

const target = (campaign: number, customer: number) => targetId(campaign * 100 + customer);
const plan = (campaign: number, customer: number) => planId(campaign * 100 + customer);

describe("campaign outcomes", () => {
  it("lists the customer's targets, the running campaign first", async () => {
    await device();
    const card = await customerCard(customerId(1));
    expect(
      card?.campaigns.map((v) => [v.campaign.name, v.open, v.target.outcome, v.plan?.id]),
    ).toEqual([
      ["Campaign 1", true, null, plan(1, 1)],
      ["Campaign 2", false, null, plan(2, 1)],
    ]);
    expect((await customerCard(customerId(3)))?.campaigns).toEqual([]);
    expect(await campaignTargetDetail(target(1, 2))).toMatchObject({
      campaign: { id: campaignId(1) },
      customer: { name: "客户2" },
      open: true,
    });
  });

  it("records an outcome offline: the target and its plan change at once, and reach the server once", async () => {
    const server = await device();
    setClock(() => new Date(2026, 10, 25, 11, 0));
    await recordCampaignOutcome(target(1, 1), { outcome: "contracted", contract_months: 12 });

    const [entry] = await db.outbox.toArray();
    expect(entry).toMatchObject({
      name: "record_campaign_outcome",
      targets: [`campaign_targets:${target(1, 1)}`, `care_plans:${plan(1, 1)}`],
    });
    const at = entry!.client_time;
    expect(entry!.args).toEqual({
      id: target(1, 1),
      outcome: "contracted",
      contract_months: 12,
      outcome_at: at,
    });
    const view = (await customerCard(customerId(1)))!.campaigns[0]!;
    expect(view).toMatchObject({
      target: { outcome: "contracted", contract_months: 12, outcome_at: at },
      plan: { status: "done", completed_at: at },
      unsynced: true,
    });
    // Done: off the agenda, where it was a campaign item.
    expect(
      (await agendaFor("2026-11-25")).filter((i) => i.type === "plan").map((i) => i.plan.id),
    ).toEqual([plan(1, 2), plan(2, 1)]);

    await push(apiFor(server));
    await push(apiFor(server));
    await pull(apiFor(server));
    expect(await pendingCount()).toBe(0);
    expect(server.applications.get(entry!.mutation_id)).toBe(1);
    expect(server.get("campaign_targets", target(1, 1))).toMatchObject({
      outcome: "contracted",
      contract_months: 12,
      decline_reason: null,
      outcome_at: at,
      version: 2,
    });
    expect(server.get("care_plans", plan(1, 1))).toMatchObject({
      status: "done",
      completed_at: at,
    });
    await expectSameAsServer(server);
  });

  it("leaves the plan open when the customer was not reached, and takes a later answer", async () => {
    const server = await device();
    await recordCampaignOutcome(target(1, 2), { outcome: "not_reached" });
    expect((await db.outbox.toArray())[0]!.targets).toEqual([`campaign_targets:${target(1, 2)}`]);
    expect((await db.care_plans.get(plan(1, 2)))?.status).toBe("planned");

    await recordCampaignOutcome(target(1, 2), {
      outcome: "declined",
      decline_reason: " too dear ",
    });
    expect(await db.campaign_targets.get(target(1, 2))).toMatchObject({
      outcome: "declined",
      decline_reason: "too dear",
      _base: { outcome: null, decline_reason: null },
    });
    expect((await db.care_plans.get(plan(1, 2)))?.status).toBe("done");

    await push(apiFor(server));
    await pull(apiFor(server));
    expect(server.get("campaign_targets", target(1, 2))).toMatchObject({
      outcome: "declined",
      decline_reason: "too dear",
      version: 3,
    });
    await expectSameAsServer(server);
  });

  it("refuses, queueing nothing, a closed campaign's outcome and one with missing details", async () => {
    await device();
    await expect(
      recordCampaignOutcome(target(2, 1), { outcome: "took_part" }),
    ).rejects.toMatchObject({ code: "campaign_closed" });
    await expect(
      recordCampaignOutcome(target(1, 1), { outcome: "contracted", contract_months: 0 }),
    ).rejects.toBeInstanceOf(LocalRefusal);
    await expect(
      recordCampaignOutcome(target(1, 1), { outcome: "declined", decline_reason: "  " }),
    ).rejects.toMatchObject({
      code: "validation_error",
      fields: { decline_reason: [expect.any(String)] },
    });
    // Whatever a caller slips in, only the outcome's own fields travel.
    await recordCampaignOutcome(target(1, 1), {
      outcome: "offered",
      contract_months: 6,
    } as never);
    expect(Object.keys((await db.outbox.toArray())[0]!.args).sort()).toEqual([
      "id",
      "outcome",
      "outcome_at",
    ]);
  });

  it("puts the target and its plan back when the server refuses: the campaign closed meanwhile", async () => {
    const server = await device();
    await recordCampaignOutcome(target(1, 1), { outcome: "took_part" });
    server.update("campaigns", campaignId(1), { status: "closed" });

    await push(apiFor(server));

    expect((await db.results.toArray()).map((r) => [r.name, r.code])).toEqual([
      ["record_campaign_outcome", "campaign_closed"],
    ]);
    expect(await db.campaign_targets.get(target(1, 1))).toMatchObject({ outcome: null });
    expect((await db.campaign_targets.get(target(1, 1)))?._base).toBeUndefined();
    expect((await db.care_plans.get(plan(1, 1)))?.status).toBe("planned");
    await pull(apiFor(server));
    expect((await campaignTargetDetail(target(1, 1)))?.open).toBe(false);
    await expectSameAsServer(server);
  });

  it("shows a running campaign's plan on the agenda as a campaign item", async () => {
    await device();
    const items = (await agendaFor("2026-11-25")).filter((i) => i.type === "plan");
    expect(items.map((i) => [i.plan.id, i.type === "plan" ? i.campaign?.target.id : null])).toEqual(
      [
        [plan(1, 1), target(1, 1)],
        [plan(1, 2), target(1, 2)],
        // The closed campaign's plan is still open, but no outcome can be recorded.
        [plan(2, 1), undefined],
      ],
    );
  });
});

describe("the fake server's record_campaign_outcome", () => {
  it("checks the outcome's fields as the server does", async () => {
    const server = await device();
    const send = (seq: number, args: Record<string, unknown>) =>
      apiFor(server).push(
        {
          device_id: "d0000000-0000-4000-8000-000000000002",
          schema_version: 2,
          mutations: [
            {
              id: `e0000000-0000-4000-8000-00000000000${seq}`,
              seq,
              name: "record_campaign_outcome",
              args: { id: target(1, 1), ...args } as never,
              base_version: null,
              client_time: "2026-11-25T09:00:00.000+08:00",
            },
          ],
        },
        server.csrfToken,
      );
    expect((await send(1, { outcome: "contracted" })).results[0]).toMatchObject({
      status: "rejected",
      code: "validation_error",
      fields: { contract_months: expect.any(Array) },
    });
    expect(
      (await send(2, { outcome: "declined", decline_reason: "no", contract_months: 3 })).results[0],
    ).toMatchObject({ status: "rejected", fields: { contract_months: expect.any(Array) } });
    expect((await send(3, { outcome: "offered" })).results[0]).toMatchObject({
      status: "applied",
      record: { outcome: "offered", outcome_at: "2026-11-25T09:00:00.000+08:00" },
    });
    expect(server.get("care_plans", plan(1, 1))?.status).toBe("done");
  });
});
