import { describe, expect, it } from "vitest";
import { choiceValue, lastCompleteMonth, parseChoice, periodQuery, thisMonth } from "./period";

describe("periods", () => {
  it("the last complete month is the month before today's", () => {
    expect(lastCompleteMonth("2026-12-02")).toEqual({
      starts_on: "2026-11-01",
      ends_on: "2026-11-30",
    });
    expect(lastCompleteMonth("2027-01-01")).toEqual({
      starts_on: "2026-12-01",
      ends_on: "2026-12-31",
    });
    expect(lastCompleteMonth("2028-03-31")).toEqual({
      starts_on: "2028-02-01",
      ends_on: "2028-02-29",
    });
  });

  it("this month runs to its last day", () => {
    expect(thisMonth("2026-02-10")).toEqual({ starts_on: "2026-02-01", ends_on: "2026-02-28" });
  });

  it("a choice travels in the address and becomes the reviews query", () => {
    expect(parseChoice(null)).toEqual({ kind: "last_month" });
    expect(parseChoice("this_month")).toEqual({ kind: "this_month" });
    const period = parseChoice("5f73c73b");
    expect(period).toEqual({ kind: "period", id: "5f73c73b" });
    expect(choiceValue(period)).toBe("5f73c73b");
    expect(periodQuery(period, "2026-12-02")).toEqual({ period_id: "5f73c73b" });
    expect(periodQuery({ kind: "last_month" }, "2026-12-02")).toEqual({
      starts_on: "2026-11-01",
      ends_on: "2026-11-30",
    });
  });
});
