import { afterEach, describe, expect, it } from "vitest";
import { fmtFigure, fmtScore, fmtValue, indicatorName } from "./figures";
import { locale, setLocale } from "./i18n/core";

describe("figures, as the phone and the console show them", () => {
  const before = locale();
  afterEach(() => setLocale(before));

  it("words a ratio, a score and a count; null is no data, never 0", () => {
    setLocale("en");
    expect(fmtValue(0.8182, "ratio")).toBe("81.8%");
    expect(fmtValue(0.0045, "ratio")).toBe("0.5%");
    expect(fmtValue(4.25, "score")).toBe("4.25");
    expect(fmtValue(1234, "count")).toBe("1,234");
    expect(fmtValue(0, "count")).toBe("0");
    expect(fmtValue(null, "ratio")).toBe("No data");
    expect(fmtFigure(undefined)).toBe("No data");
    expect(fmtFigure({ value: 1, unit: "ratio" })).toBe("100.0%");
    expect(fmtScore(48.25)).toBe("48.3");
    expect(fmtScore(null)).toBe("No data");
    setLocale("zh-CN");
    expect(fmtValue(null, "score")).toBe("暂无数据");
    expect(fmtValue(0.25, "ratio")).toBe("25.0%");
  });

  it("names a known indicator and leaves an unknown code as it is", () => {
    setLocale("en");
    expect(indicatorName("satisfaction")).toBe("Customer satisfaction");
    expect(indicatorName("new_thing")).toBe("new_thing");
  });
});
