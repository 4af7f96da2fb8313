import { afterEach, describe, expect, it } from "vitest";
import { ApiError } from "../api";
import { setLocale } from "../i18n";
import { errorText } from "./States";

describe("errorText", () => {
  afterEach(() => setLocale("en"));

  it("words a database outage in the user's language, not the server's English", () => {
    const outage = new ApiError(503, "database_unavailable", "The database cannot be reached.");
    setLocale("zh-CN");
    expect(errorText(outage)).toBe("服务器暂时无法连接数据库，本次操作未保存，请稍后重试。");
    setLocale("en");
    expect(errorText(outage)).toMatch(/cannot reach its database/);
  });

  it("shows the server's message for a 503 it does not know", () => {
    expect(errorText(new ApiError(503, "unavailable", "Down for maintenance."))).toBe(
      "Down for maintenance.",
    );
  });
});
