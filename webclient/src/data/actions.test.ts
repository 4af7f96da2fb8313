import { beforeEach, describe, expect, it } from "vitest";
import { db } from "../db";
import { apiFor, expectSameAsServer, signIn } from "../test/helpers";
import {
  contactId,
  customerId,
  FakeServer,
  revisionId,
  seedPortfolio,
  visitId,
  warningId,
} from "../test/fakeServer";
import { pull } from "../sync/pull";
import { push } from "../sync/push";
import { setClock } from "../time";
import { customerCard, pendingCount } from "./queries";
import { visitDetail, warningLists } from "./records";
import {
  addContact,
  answerWarning,
  deleteContact,
  flagWarning,
  updateVisit,
  LocalRefusal,
  resolveWarning,
  updateContact,
} from "./writes";

const T0 = "2026-11-25T00:00:00+00:00";
const ORG = customerId(1);

/** Customer 1 is an organisation whose contact 1 is its decision maker; customer 2 has an open warning. */
async function device() {
  const server = new FakeServer();
  seedPortfolio(server, 2);
  server.update("customers", ORG, { kind: "organisation" });
  server.update("contacts", contactId(1), { is_decision_maker: true, phone: "13900000001" });
  server.put("churn_warnings", {
    id: warningId(1),
    customer_id: customerId(2),
    status: "open",
    source: "manual",
    reasons: [{ code: "competitor", note: "Offered 5G" }],
    finding_keys: [],
    opened_at: T0,
    raised_by_id: server.userId,
    previous_stage: "introduction",
    cause_analysis: null,
    retention_plan: null,
    answered_at: null,
    answered_by_id: null,
    resolved_at: null,
    resolved_by_id: null,
    resolution_note: null,
    exit_reason: null,
    version: 1,
    created_at: T0,
    updated_at: T0,
  });
  server.update("customers", customerId(2), { stage: "warning" });
  await signIn(server);
  await pull(apiFor(server));
  return server;
}

async function sync(server: FakeServer) {
  await push(apiFor(server));
  await pull(apiFor(server));
}

const names = async (id: string) =>
  (await customerCard(id))!.contacts.map((c) => [c.name, c.is_decision_maker]);

describe("contacts offline", () => {
  let server: FakeServer;
  beforeEach(async () => {
    server = await device();
  });

  it("adds a decision maker at once, un-marks the earlier one, and reaches the server once", async () => {
    const id = await addContact(ORG, {
      name: "李总",
      phone: "13900000002",
      is_decision_maker: true,
    });
    expect(await names(ORG)).toEqual([
      ["李总", true],
      ["联系人1", false],
    ]);
    const [entry] = await db.outbox.toArray();
    expect(entry!.targets).toEqual([`contacts:${id}`, `contacts:${contactId(1)}`]);

    await sync(server);
    expect(await pendingCount()).toBe(0);
    expect(server.get("contacts", id)).toMatchObject({ name: "李总", is_decision_maker: true });
    expect(server.get("contacts", contactId(1))).toMatchObject({ is_decision_maker: false });
    expect(server.applications.get(entry!.mutation_id)).toBe(1);
    await expectSameAsServer(server);
  });

  it("refuses a contact for an individual customer, queueing nothing", async () => {
    await expect(addContact(customerId(2), { name: "某人" })).rejects.toMatchObject({
      code: "not_an_organisation",
    });
    await expect(addContact(customerId(2), { name: "某人" })).rejects.toBeInstanceOf(LocalRefusal);
    expect(await pendingCount()).toBe(0);
  });

  it("edits a contact with its base; a field changed on the server too becomes a conflict", async () => {
    server.update("contacts", contactId(1), { phone: "13900000009", title: "董事长" });
    const entry = await updateContact(contactId(1), {
      phone: "13900000005",
      email: "w@example.com",
    });
    expect(entry).toMatchObject({
      args: {
        id: contactId(1),
        changes: { phone: "13900000005", email: "w@example.com" },
        base: { phone: "13900000001", email: null },
      },
      base_version: 2,
    });
    // Nothing changes: nothing queued.
    expect(await updateContact(contactId(1), { phone: "13900000005" })).toBeNull();

    await sync(server);
    expect(server.get("contacts", contactId(1))).toMatchObject({
      phone: "13900000005",
      email: "w@example.com",
      title: "董事长",
    });
    const [conflict] = await db.sync_conflicts.toArray();
    expect(conflict).toMatchObject({
      entity: "contacts",
      field: "phone",
      lost_value: "13900000009",
    });
    expect((await db.results.toArray()).map((r) => [r.name, r.code])).toEqual([
      ["update_contact", "field_conflict"],
    ]);
    await expectSameAsServer(server);
  });

  it("hides a removed contact at once and drops it once the server applied the removal", async () => {
    await deleteContact(contactId(1));
    expect(await names(ORG)).toEqual([]);
    expect(await db.contacts.get(contactId(1))).toMatchObject({ _deleted: true });

    await push(apiFor(server));
    // Gone before the pull brings the tombstone.
    expect(await db.contacts.get(contactId(1))).toBeUndefined();
    await pull(apiFor(server));
    expect(server.get("contacts", contactId(1))).toBeUndefined();
    await expectSameAsServer(server);
  });

  it("puts a contact back, with the server's values, when its removal is refused", async () => {
    server.update("contacts", contactId(1), { name: "王总" });
    await deleteContact(contactId(1));
    await sync(server);
    expect(await names(ORG)).toEqual([["王总", true]]);
    expect((await db.results.toArray()).map((r) => [r.name, r.code])).toEqual([
      ["delete_contact", "version_conflict"],
    ]);
    await expectSameAsServer(server);
  });

  it("edits then removes a contact offline, and removes one added offline", async () => {
    await updateContact(contactId(1), { title: "经理" });
    await deleteContact(contactId(1));
    const added = await addContact(ORG, { name: "张秘书" });
    await deleteContact(added);
    expect(await names(ORG)).toEqual([]);
    expect((await db.outbox.toArray()).map((e) => [e.name, e.base_version])).toEqual([
      ["update_contact", 2],
      // Its own edit moves the version first: no version check.
      ["delete_contact", null],
      ["add_contact", null],
      ["delete_contact", null],
    ]);
    await sync(server);
    expect(await db.results.count()).toBe(0);
    expect(server.get("contacts", contactId(1))).toBeUndefined();
    expect(server.get("contacts", added)).toBeUndefined();
    await expectSameAsServer(server);
  });
});

describe("warning outcomes offline", () => {
  let server: FakeServer;
  beforeEach(async () => {
    server = await device();
  });

  it("refuses retained before the answer, and churned without why", async () => {
    await expect(resolveWarning(warningId(1), { outcome: "retained" })).rejects.toMatchObject({
      code: "analysis_required",
    });
    await expect(
      resolveWarning(warningId(1), { outcome: "churned", exit_reason: " " }),
    ).rejects.toMatchObject({
      code: "validation_error",
      fields: { exit_reason: expect.any(Array) },
    });
    expect(await pendingCount()).toBe(0);
  });

  it("answers and resolves as retained offline: the customer's stage goes back at once", async () => {
    await answerWarning(warningId(1), { cause_analysis: "Price", retention_plan: "Discount" });
    await resolveWarning(warningId(1), { outcome: "retained", note: " Two-year deal " });
    expect(await db.churn_warnings.get(warningId(1))).toMatchObject({
      status: "retained",
      resolution_note: "Two-year deal",
      exit_reason: null,
    });
    expect((await db.customers.get(customerId(2)))?.stage).toBe("introduction");
    // Closed: no second outcome.
    await expect(
      resolveWarning(warningId(1), { outcome: "churned", exit_reason: "x" }),
    ).rejects.toMatchObject({ code: "illegal_transition" });

    await sync(server);
    expect(server.get("churn_warnings", warningId(1))).toMatchObject({
      status: "retained",
      resolution_note: "Two-year deal",
    });
    expect(server.get("customers", customerId(2))?.stage).toBe("introduction");
    await expectSameAsServer(server);
  });

  it("records a churn with why; the server's refusal puts the warning back open", async () => {
    await resolveWarning(warningId(1), { outcome: "churned", exit_reason: "Moved to a rival" });
    expect((await db.customers.get(customerId(2)))?.stage).toBe("churned");
    await sync(server);
    expect(server.get("churn_warnings", warningId(1))).toMatchObject({
      status: "churned",
      exit_reason: "Moved to a rival",
    });
    await expectSameAsServer(server);
  });

  it("joins a report to the customer's open warning, or opens one and moves the stage", async () => {
    await flagWarning(customerId(2), "intent_to_leave", " Asked about porting out ");
    const opened = await flagWarning(customerId(1), "competitor", "Rival offered 5G");
    const open = async (id: string) =>
      (await customerCard(id))!.warnings.map((w) => [w.id, w.reasons.map((r) => r.note)]);
    expect(await open(customerId(2))).toEqual([
      [warningId(1), ["Offered 5G", "Asked about porting out"]],
    ]);
    expect(await open(customerId(1))).toEqual([[opened, ["Rival offered 5G"]]]);
    expect((await db.customers.get(customerId(1)))?.stage).toBe("warning");
    await expect(flagWarning(customerId(1), "other", "  ")).rejects.toMatchObject({
      code: "validation_error",
    });

    await sync(server);
    expect(await open(customerId(2))).toEqual([
      [warningId(1), ["Offered 5G", "Asked about porting out"]],
    ]);
    expect(server.get("churn_warnings", opened)).toMatchObject({ status: "open" });
    await expectSameAsServer(server);
  });
});

describe("the lists of the action screens", () => {
  it("lists warnings waiting for an answer, answered, and closed", async () => {
    await device();
    const ids = async () => {
      const lists = await warningLists();
      return [lists.unanswered, lists.answered, lists.closed].map((l) =>
        l.map((r) => [r.warning.id, r.customer?.name]),
      );
    };
    expect(await ids()).toEqual([[[warningId(1), "客户2"]], [], []]);
    await answerWarning(warningId(1), { cause_analysis: "Price", retention_plan: "Discount" });
    expect(await ids()).toEqual([[], [[warningId(1), "客户2"]], []]);
    await resolveWarning(warningId(1), { outcome: "churned", exit_reason: "Moved away" });
    expect(await ids()).toEqual([[], [], [[warningId(1), "客户2"]]]);
  });

  it("shows a visit's corrections: pending here until the server's revision replaces them", async () => {
    const server = await device();
    setClock(() => new Date("2026-11-26T10:00:00Z"));
    await updateVisit(visitId(1), { outcome: "Will renew" });
    const before = (await visitDetail(visitId(1)))!;
    expect(before.visit.outcome).toBe("Will renew");
    expect(before.revisions.map((r) => r.id)).toEqual([revisionId(1)]);
    expect(before.pending.map((e) => e.args.changes)).toEqual([{ outcome: "Will renew" }]);
    expect(before.userId).toBe(server.userId);

    await sync(server);
    expect(await db.results.count()).toBe(0);
    const after = (await visitDetail(visitId(1)))!;
    expect(after.pending).toEqual([]);
    expect(after.revisions.map((r) => r.changes)).toEqual([
      { outcome: { old: null, new: "Will renew" } },
      { notes: { old: "", new: "first call" } },
    ]);
    await expectSameAsServer(server);
  });
});
