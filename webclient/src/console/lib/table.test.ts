import { describe, expect, it } from "vitest";
import { filterRows, load, nextSort, sortRows } from "./table";

interface Row {
  name: string;
  score: number | null;
}

const rows: Row[] = [
  { name: "Wang", score: 72.5 },
  { name: "li", score: null },
  { name: "Zhou", score: 91 },
  { name: "An", score: 72.5 },
];

describe("sortRows", () => {
  it("sorts numbers with no data last in both directions, ties in original order", () => {
    expect(sortRows(rows, (r) => r.score, "asc").map((r) => r.name)).toEqual([
      "Wang",
      "An",
      "Zhou",
      "li",
    ]);
    expect(sortRows(rows, (r) => r.score, "desc").map((r) => r.name)).toEqual([
      "Zhou",
      "Wang",
      "An",
      "li",
    ]);
  });

  it("sorts text by collation, ignoring case, numbers inside numerically", () => {
    expect(sortRows(rows, (r) => r.name, "asc").map((r) => r.name)).toEqual([
      "An",
      "li",
      "Wang",
      "Zhou",
    ]);
    const managers = ["Manager 10", "Manager 9", "Manager 1"].map((name) => ({ name }));
    expect(sortRows(managers, (r) => r.name, "asc").map((r) => r.name)).toEqual([
      "Manager 1",
      "Manager 9",
      "Manager 10",
    ]);
  });

  it("orders Chinese names by pinyin under zh-CN", () => {
    const names = ["赵建华", "孙浩", "汪丽华"].map((name) => ({ name }));
    // zhao, sun, wang -> sun, wang, zhao
    expect(sortRows(names, (r) => r.name, "asc", "zh-CN").map((r) => r.name)).toEqual([
      "孙浩",
      "汪丽华",
      "赵建华",
    ]);
  });

  it("does not change the rows it was given", () => {
    const copy = [...rows];
    sortRows(rows, (r) => r.score, "desc");
    expect(rows).toEqual(copy);
  });
});

describe("nextSort", () => {
  it("flips the same column and starts another one at its first direction", () => {
    expect(nextSort({ key: "score", dir: "asc" }, "score")).toEqual({ key: "score", dir: "desc" });
    expect(nextSort({ key: "score", dir: "desc" }, "score")).toEqual({ key: "score", dir: "asc" });
    expect(nextSort({ key: "score", dir: "asc" }, "name", "desc")).toEqual({
      key: "name",
      dir: "desc",
    });
  });
});

describe("filterRows", () => {
  const people = [
    { name: "Manager 01", team: "East" },
    { name: "Manager 02", team: "West" },
    { name: "Lead", team: null },
  ];

  it("keeps rows holding every word, in any field, any case", () => {
    expect(filterRows(people, "manager west", (p) => [p.name, p.team])).toEqual([people[1]]);
    expect(filterRows(people, "  EAST ", (p) => [p.name, p.team])).toEqual([people[0]]);
    expect(filterRows(people, "nobody", (p) => [p.name, p.team])).toEqual([]);
  });

  it("keeps everything for an empty query", () => {
    expect(filterRows(people, " ", (p) => [p.name])).toEqual(people);
  });
});

describe("load", () => {
  it("is the share of capacity used, null without a capacity", () => {
    expect(load(550, 500)).toBe(1.1);
    expect(load(0, 500)).toBe(0);
    expect(load(10, null)).toBeNull();
    expect(load(null, 500)).toBeNull();
    expect(load(10, 0)).toBeNull();
  });
});
