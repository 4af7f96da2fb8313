import { describe, expect, it } from "vitest";
import { customerId, taskId } from "../test/fakeServer";
import { syncedDevice as device } from "../test/helpers";
import { changeSubject, waitingChanges } from "./changes";
import { completeTask, createTask, updateTask } from "./writes";

describe("the sync centre's changes", () => {
  it("lists the changes waiting to be sent, oldest first", async () => {
    await device(3);
    expect(await waitingChanges()).toEqual([]);
    await completeTask(taskId(1));
    await createTask({ title: "带合同", customer_id: customerId(2) });
    expect((await waitingChanges()).map((entry) => entry.name)).toEqual([
      "complete_task",
      "create_task",
    ]);
  });

  it("names the record and the customer a change is about", async () => {
    await device(3);
    const edit = await updateTask(taskId(2), { notes: "改期" });
    expect(edit).not.toBeNull();
    expect(await changeSubject("update_task", edit!.args)).toEqual({
      record: "回访2",
      customer: "客户2",
    });
    // A new task not stored as a row yet: its title as typed.
    expect(
      await changeSubject("create_task", { id: "x", title: "带合同", customer_id: customerId(3) }),
    ).toEqual({ record: "带合同", customer: "客户3" });
    // A customer's profile: the customer is the record.
    expect(await changeSubject("update_customer_profile", { id: customerId(1) })).toEqual({
      record: null,
      customer: "客户1",
    });
  });
});
