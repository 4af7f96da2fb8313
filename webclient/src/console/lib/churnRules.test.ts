import { afterEach, describe, expect, it } from "vitest";
import { setLocale } from "../i18n";
import { conditionText, featureName, ruleText } from "./churnRules";

afterEach(() => setLocale("en"));

describe("featureName", () => {
  it("names catalogued features, a service's spend, and leaves an unknown one as it is", () => {
    setLocale("en");
    expect(featureName("complaints_3m")).toBe("complaints in 3 months");
    expect(featureName("spend_broadband_change_3m")).toBe(
      "broadband spend change against the 3 months before",
    );
    expect(featureName("spend_broadband")).toBe("broadband spend");
    expect(featureName("spend_satellite")).toBe("satellite spend");
    expect(featureName("shoe_size")).toBe("shoe_size");
    setLocale("zh-CN");
    expect(featureName("spend_group_sms")).toBe("集团短信月费");
    expect(featureName("days_since_contact")).toBe("距上次联系天数");
  });
});

describe("conditionText", () => {
  it("words each operator with the value in the feature's unit", () => {
    setLocale("en");
    expect(conditionText({ feature: "complaints_3m", op: "ge", value: 2 })).toBe(
      "complaints in 3 months ≥ 2",
    );
    expect(conditionText({ feature: "spend_broadband_change_3m", op: "le", value: -0.35 })).toBe(
      "broadband spend change against the 3 months before ≤ -35%",
    );
    expect(
      conditionText({ feature: "days_since_contact", op: "between", low: 30, value: 90.5 }),
    ).toBe("days since the last contact above 30 and at most 90.5");
    expect(conditionText({ feature: "tier", op: "is", value: "gold" })).toBe("tier is Gold");
    expect(conditionText({ feature: "kind", op: "is_not", value: "organisation" })).toBe(
      "kind of customer is not organisation",
    );
    expect(conditionText({ feature: "months_to_contract_end", op: "blank" })).toBe(
      "months to the contract's end: not known",
    );
    expect(conditionText({ feature: "warning_open", op: "ge", value: 1 })).toBe(
      "a warning is open",
    );
    expect(conditionText({ feature: "warning_open", op: "le", value: 0 })).toBe("no warning open");
  });

  it("reads in Chinese", () => {
    setLocale("zh-CN");
    expect(conditionText({ feature: "complaints_unresolved", op: "gt", value: 1 })).toBe(
      "未解决投诉数超过1",
    );
    expect(conditionText({ feature: "tier", op: "is_not", value: "diamond" })).toBe(
      "客户等级不是钻石",
    );
    expect(
      conditionText({ feature: "spend_change_6m", op: "between_ge", low: -0.5, value: -0.1 }),
    ).toBe("月消费总额较前6个月均值变化在-50%到-10%之间");
  });
});

describe("ruleText", () => {
  it("joins the conditions; a rule without any is every customer", () => {
    setLocale("en");
    expect(
      ruleText(
        [
          { feature: "complaints_3m", op: "ge", value: 2 },
          { feature: "visits_6m", op: "le", value: 0 },
        ],
        "; ",
      ),
    ).toBe("complaints in 3 months ≥ 2; contacts in 6 months ≤ 0");
    expect(ruleText([], "; ")).toBe("every customer");
  });
});
