import { describe, expect, it } from "vitest";
import { tabFor } from "./tabs";

describe("the highlighted tab", () => {
  it("is the screen's own tab", () => {
    expect(tabFor("customer", "today")).toBe("portfolio");
    expect(tabFor("myNumbers", null)).toBe("settings");
  });

  it("is the tab the user came from for a screen reached from several", () => {
    expect(tabFor("complaint", "portfolio")).toBe("portfolio");
    expect(tabFor("task", "portfolio")).toBe("portfolio");
    expect(tabFor("complaint", "today")).toBe("today");
    expect(tabFor("logVisit", "today")).toBe("today");
  });

  it("opened directly: Today for its work, Customers for the rest", () => {
    expect(tabFor("task", null)).toBe("today");
    expect(tabFor("campaignTarget", null)).toBe("portfolio");
  });
});
