import { describe, expect, it } from "vitest";
import type { CarePlan, ChurnWarning, Complaint, Purpose, Task } from "../db";
import type { AgendaItem, CustomerSummary } from "./queries";
import { itemKey, sectionOf, triage, urgency } from "./triage";

const TODAY = "2026-12-03";

function customer(name: string, rank = 5): CustomerSummary {
  return {
    id: `c-${name}`,
    name,
    external_no: name,
    phone: null,
    kind: "individual",
    employer: null,
    stage: "maturity",
    tier: { code: `t${rank}`, name_zh: "", name_en: "", rank },
    contract_end_date: null,
    unsynced: false,
  };
}

function plan(id: string, due: string, purpose: Purpose = "routine", rank = 5): AgendaItem {
  const row = { id, purpose, due_from: "2026-11-01", due_to: due } as CarePlan;
  return {
    type: "plan",
    plan: row,
    customer: customer(id, rank),
    campaign: null,
    due,
    overdue: due < TODAY,
  };
}

function task(id: string, due: string): AgendaItem {
  return {
    type: "task",
    task: { id, due_date: due } as Task,
    customer: null,
    due,
    overdue: due < TODAY,
  };
}

function complaint(id: string, deadline: string): AgendaItem {
  const due = deadline.slice(0, 10);
  return {
    type: "complaint",
    complaint: { id, deadline_at: deadline } as Complaint,
    customer: null,
    due,
    overdue: due < TODAY,
  };
}

function warning(id: string, opened: string): AgendaItem {
  return {
    type: "warning",
    warning: { id } as ChurnWarning,
    customer: null,
    due: opened,
    overdue: false,
  };
}

function birthday(name: string, day: string): AgendaItem {
  return { type: "birthday", customer: customer(name), due: day, overdue: false };
}

const keys = (items: AgendaItem[]) => items.map(itemKey);

describe("triage", () => {
  it("puts each item in its section: due today means due today", () => {
    expect(sectionOf(plan("p", "2026-12-03"), TODAY)).toBe("today");
    expect(sectionOf(plan("p", "2026-12-02"), TODAY)).toBe("overdue");
    expect(sectionOf(plan("p", "2026-12-04"), TODAY)).toBe("week");
    // The last day of the week is today + 6; the 10th is later.
    expect(sectionOf(plan("p", "2026-12-09"), TODAY)).toBe("week");
    expect(sectionOf(plan("p", "2026-12-10"), TODAY)).toBe("later");
    // A plan whose window opened weeks ago but ends on the 25th is not due today.
    expect(sectionOf(plan("p", "2026-12-25"), TODAY)).toBe("later");
    // An unanswered warning waits for an answer today, however old.
    expect(sectionOf(warning("w", "2026-10-01"), TODAY)).toBe("today");
    expect(sectionOf(complaint("c", "2026-12-01T21:00:00+00:00"), TODAY)).toBe("overdue");
    expect(sectionOf(birthday("b", "2026-12-05"), TODAY)).toBe("week");
  });

  it("orders by urgency: complaints, overdue work, warnings, birthdays and holidays, other work, routine", () => {
    expect(
      [
        plan("routine", TODAY),
        task("task", TODAY),
        plan("holiday", TODAY, "holiday"),
        birthday("bday", TODAY),
        warning("warn", "2026-11-20"),
        plan("late", "2026-12-01"),
        complaint("cmp", "2026-12-03T09:00:00+00:00"),
      ].map((item) => urgency(item, TODAY)),
    ).toEqual([5, 4, 3, 3, 2, 1, 0]);

    const { today, overdue, week, later } = triage(
      [
        plan("routine-gold", TODAY, "routine", 5),
        plan("routine-diamond", TODAY, "routine", 1),
        task("call-back", TODAY),
        birthday("Li", TODAY),
        plan("renewal", TODAY, "contract_expiry"),
        warning("w1", "2026-11-20"),
        complaint("due-late", "2026-12-03T10:00:00+00:00"),
        complaint("due-early", "2026-12-03T02:00:00+00:00"),
        plan("missed-old", "2026-11-20"),
        task("task-late", "2026-12-01"),
        complaint("cmp-late", "2026-12-02T01:00:00+00:00"),
        plan("next-week", "2026-12-08"),
        birthday("Wang", "2026-12-05"),
        plan("window-25th", "2026-12-25"),
      ],
      TODAY,
    );

    expect(keys(today)).toEqual([
      "complaint:due-early", // the earliest deadline first
      "complaint:due-late",
      "warning:w1",
      "birthday:c-Li",
      "plan:renewal", // other dated work: a customer's before a task about nobody
      "task:call-back",
      "plan:routine-diamond", // routine last, the more valuable customer first
      "plan:routine-gold",
    ]);
    expect(keys(overdue)).toEqual(["complaint:cmp-late", "plan:missed-old", "task:task-late"]);
    expect(keys(week)).toEqual(["birthday:c-Wang", "plan:next-week"]);
    expect(keys(later)).toEqual(["plan:window-25th"]);
  });

  it("gives every item exactly one section, and an empty day empty sections", () => {
    expect(triage([], TODAY)).toEqual({ today: [], overdue: [], week: [], later: [] });
    const items = Array.from({ length: 40 }, (_, k) =>
      plan(`p${k}`, `2026-11-${String(10 + (k % 20)).padStart(2, "0")}`),
    );
    const sections = triage(items, "2026-11-20");
    const all = [...sections.today, ...sections.overdue, ...sections.week, ...sections.later];
    expect(all).toHaveLength(40);
    expect(new Set(keys(all)).size).toBe(40);
  });
});
