import { afterEach, describe, expect, it } from "vitest";
import { setLocale } from "./i18n";
import { LIMITS, textLength } from "./limits";
import { limitError } from "./ui/components/Field";

describe("field limits", () => {
  afterEach(() => setLocale("en"));

  it("counts characters as the server does: trimmed, an emoji once", () => {
    expect(textLength("  abc \n")).toBe(3);
    expect(textLength("😀😀")).toBe(2);
    expect(textLength("钟芳")).toBe(2);
  });

  it("accepts text up to the limit and says by how much a longer one is over", () => {
    expect(limitError("x".repeat(LIMITS.visitOutcome), LIMITS.visitOutcome)).toBeNull();
    expect(limitError("x".repeat(500), LIMITS.visitOutcome)).toBe(
      "Too long: at most 200 characters. Shorten it by 300.",
    );
    setLocale("zh-CN");
    expect(limitError("长".repeat(10_000), LIMITS.complaintNote)).toBe(
      "太长了：最多 4,000 个字，请删减 6,000 个字。",
    );
  });
});
