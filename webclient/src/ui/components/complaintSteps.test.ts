import { afterEach, describe, expect, it } from "vitest";
import { setLocale } from "../../i18n";
import { stepFacts } from "./complaintSteps";

describe("stepFacts", () => {
  afterEach(() => setLocale("en"));

  it("words a step's resolution and the satisfaction a reopen cleared in English", () => {
    setLocale("en");
    expect(stepFacts({ resolution: "Replaced the modem", prior_satisfaction: null })).toEqual([
      "Resolution: Replaced the modem",
    ]);
    expect(stepFacts({ resolution: null, prior_satisfaction: 4 })).toEqual([
      "Satisfaction before reopening: 4 of 5",
    ]);
  });

  it("words them in Chinese on a zh-CN phone", () => {
    setLocale("zh-CN");
    expect(stepFacts({ resolution: "更换了光猫", prior_satisfaction: 4 })).toEqual([
      "处理结果：更换了光猫",
      "重新处理前的满意度：4 分（满分 5 分）",
    ]);
  });

  it("says nothing for a row pulled before the step's facts were values", () => {
    expect(stepFacts({})).toEqual([]);
  });
});
