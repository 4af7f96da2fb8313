import { describe, expect, it } from "vitest";
import { db, type Complaint, type Customer } from "./db";
import { findReminders, saveReminderSettings, takeDueReminders } from "./reminders";

const NOW = new Date(2026, 11, 3, 9, 0); // 3 December 2026, 09:00 on the phone's clock

function customer(id: string, name: string, birthday: string | null, lunar = false): Customer {
  return { id, name, birthday, birthday_lunar: lunar } as Customer;
}

function complaint(id: string, customerId: string, minutesAhead: number, status = "received") {
  const deadline = new Date(NOW.getTime() + minutesAhead * 60_000).toISOString();
  return { id, customer_id: customerId, deadline_at: deadline, status } as Complaint;
}

const people = [
  customer("c1", "钟芳", "1980-12-03"),
  customer("c2", "王强", "1975-12-04"),
  customer("c3", "李娜", "1990-12-03", true),
];

describe("reminders", () => {
  it("are complaints due within two hours and today's birthdays, worded in the user's language", () => {
    const complaints = [
      complaint("k1", "c2", 90),
      complaint("k2", "c2", 121), // beyond two hours
      complaint("k3", "c2", -5), // past due: already on Today
      complaint("k4", "c2", 30, "resolved"),
    ];
    const en = findReminders(NOW, complaints, people, "en");
    expect(en.map((r) => r.key)).toEqual([
      `complaint:k1:${complaints[0]!.deadline_at}`,
      "birthday:c1:2026-12-03",
    ]);
    expect(en[0]).toMatchObject({ title: "Complaint due at 10:30 AM", url: "/#/complaints/k1" });
    expect(en[0]!.body).toBe("王强: answer the complaint by 10:30 AM.");
    expect(en[1]).toMatchObject({ title: "Birthday today: 钟芳", url: "/#/customers/c1" });
    const zh = findReminders(NOW, complaints, people, "zh-CN");
    expect(zh.map((r) => r.title)).toEqual(["投诉将于 10:30 到期", "今天生日：钟芳"]);
  });

  it("shows nothing while off, and each thing once when on", async () => {
    await db.customers.bulkPut(people);
    await db.complaints.put(complaint("k1", "c2", 90));
    expect(await takeDueReminders(NOW)).toEqual([]);

    await saveReminderSettings({ enabled: true, locale: "en" });
    expect((await takeDueReminders(NOW)).length).toBe(2);
    const later = new Date(NOW.getTime() + 10 * 60_000);
    expect(await takeDueReminders(later)).toEqual([]);

    // A moved deadline is a new thing to be reminded of.
    await db.complaints.put(complaint("k1", "c2", 100));
    expect((await takeDueReminders(later)).map((r) => r.key)).toEqual([
      `complaint:k1:${new Date(NOW.getTime() + 100 * 60_000).toISOString()}`,
    ]);
  });

  it("keeps the page's language for the service worker", async () => {
    await db.customers.bulkPut(people);
    await saveReminderSettings({ enabled: true, locale: "en" });
    expect((await takeDueReminders(NOW, "zh-CN")).map((r) => r.title)).toEqual(["今天生日：钟芳"]);
    expect((await db.meta.get("reminders"))?.value).toEqual({ enabled: true, locale: "zh-CN" });
  });
});
