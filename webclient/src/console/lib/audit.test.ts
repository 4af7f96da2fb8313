import { describe, expect, it } from "vitest";
import { dayStart, detailParts } from "./audit";

describe("dayStart", () => {
  it("gives the local midnight of a day, and of the next one for an inclusive end", () => {
    expect(dayStart("2026-12-02")).toBe(new Date(2026, 11, 2).toISOString());
    expect(dayStart("2026-12-31", true)).toBe(new Date(2027, 0, 1).toISOString());
  });

  it("is no filter for an empty or malformed day", () => {
    expect(dayStart("")).toBeUndefined();
    expect(dayStart(null)).toBeUndefined();
    expect(dayStart("2026-12")).toBeUndefined();
  });
});

describe("detailParts", () => {
  it("words each key, shortens ids and leaves out empty values", () => {
    const parts = detailParts(
      {
        count: 3,
        reason: "离职交接",
        to_manager_id: "0a1b2c3d-0000-4000-8000-000000000001",
        team: null,
        partial: false,
      },
      (key) => (key === "count" ? "customers" : key),
    );
    expect(parts).toEqual([
      "customers: 3",
      "reason: 离职交接",
      "to_manager_id: 0a1b2c3d",
      "partial: false",
    ]);
  });
});
