/**
 * Sorting and filtering the console's tables in the browser (a team's managers, a
 * review's rows, the at-risk board): a few dozen rows the API already sent.
 */

export type Direction = "asc" | "desc";
export type SortValue = string | number | boolean | null | undefined;

export interface SortState<K extends string = string> {
  key: K;
  dir: Direction;
}

/**
 * Rows sorted by `value(row)`: numbers numerically, text by the locale's collation
 * (拼音 order for Chinese names with "zh-CN"), and a missing value ("no data") always
 * last whichever way, so flipping the order never puts the blanks on top.
 * Ties keep their original order.
 */
export function sortRows<T>(
  rows: readonly T[],
  value: (row: T) => SortValue,
  dir: Direction,
  locale = "en",
): T[] {
  const collator = new Intl.Collator(locale, { numeric: true, sensitivity: "base" });
  const sign = dir === "asc" ? 1 : -1;
  return rows
    .map((row, index) => ({ row, index, v: value(row) }))
    .sort((a, b) => {
      const aMissing = a.v === null || a.v === undefined || Number.isNaN(a.v);
      const bMissing = b.v === null || b.v === undefined || Number.isNaN(b.v);
      if (aMissing || bMissing) {
        if (aMissing && bMissing) return a.index - b.index;
        return aMissing ? 1 : -1;
      }
      let order: number;
      if (typeof a.v === "string" || typeof b.v === "string") {
        order = collator.compare(String(a.v), String(b.v));
      } else {
        order = Number(a.v) - Number(b.v);
      }
      return order * sign || a.index - b.index;
    })
    .map(({ row }) => row);
}

/** The next sort after clicking a column: the same column flips, another starts `first`. */
export function nextSort<K extends string>(
  current: SortState<K>,
  key: K,
  first: Direction = "asc",
): SortState<K> {
  if (current.key === key) return { key, dir: current.dir === "asc" ? "desc" : "asc" };
  return { key, dir: first };
}

/**
 * Rows whose text contains every word of `query` (case-insensitive, any order), in any
 * of the texts `fields(row)` gives; an empty query keeps every row.
 */
export function filterRows<T>(
  rows: readonly T[],
  query: string,
  fields: (row: T) => (string | null | undefined)[],
): T[] {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length === 0) return [...rows];
  return rows.filter((row) => {
    const text = fields(row)
      .filter((f): f is string => typeof f === "string")
      .join(" ")
      .toLowerCase();
    return words.every((word) => text.includes(word));
  });
}

/** How full a portfolio is, 0..∞ (1 = at capacity); null without a capacity. */
export function load(size: number | null, capacity: number | null): number | null {
  if (size === null || capacity === null || capacity <= 0) return null;
  return size / capacity;
}
