import { afterEach, describe, expect, it } from "vitest";
import { setLocale } from "../../i18n";
import { syncProgressText } from "./format";

describe("syncProgressText", () => {
  afterEach(() => setLocale("en"));

  it("shows records done of the total and the share, in both languages", () => {
    setLocale("en");
    expect(syncProgressText({ rowsApplied: 1234, total: 5678 })).toBe("1,234 / 5,678 (21%)");
    setLocale("zh-CN");
    expect(syncProgressText({ rowsApplied: 1234, total: 5678 })).toBe("1,234 / 5,678（21%）");
  });

  it("never shows more than all of it, nor 100% before the end", () => {
    expect(syncProgressText({ rowsApplied: 60, total: 50 })).toBe("60 / 60 (100%)");
    expect(syncProgressText({ rowsApplied: 5677, total: 5678 })).toBe("5,677 / 5,678 (99%)");
    expect(syncProgressText({ rowsApplied: 0, total: 0 })).toBe("0 / 0 (100%)");
  });

  it("shows the count alone when the server gave no total (a resumed first sync)", () => {
    expect(syncProgressText({ rowsApplied: 2000, total: null })).toBe("First sync: 2,000 records");
  });
});
