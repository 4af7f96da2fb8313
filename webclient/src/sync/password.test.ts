import { describe, expect, it } from "vitest";
import { db } from "../db";
import { HttpSyncApi, SyncHttpError, type AuthApi, type PasswordApi } from "./api";
import { changePassword, login, setAuthApi, setPasswordApi } from "./session";

function auth(csrf: { value: string }): AuthApi {
  const answer = () => ({
    user: {
      id: "u1",
      username: "u1",
      display_name: "U1",
      role: "manager" as const,
      team: null,
      phone: null,
    },
    csrf_token: csrf.value,
    remember: true,
    expires_at: null,
  });
  return { login: async () => answer(), me: async () => answer(), logout: async () => {} };
}

describe("own password change", () => {
  it("sends the session's token, and fetches it again once after csrf_failed", async () => {
    const csrf = { value: "old" };
    setAuthApi(auth(csrf));
    await login("u1", "pw", true);
    csrf.value = "fresh"; // the server's token changed since this phone last asked
    const sent: (string | null)[] = [];
    const server: PasswordApi = {
      changePassword: async (_current, _next, token) => {
        sent.push(token);
        if (token !== "fresh") throw new SyncHttpError(403, "csrf_failed", "Wrong token");
      },
    };
    setPasswordApi(server);
    await changePassword("current-pw", "a-new-Secret-pw");
    expect(sent).toEqual(["old", "fresh"]);
    expect((await db.meta.get("csrf_token"))?.value).toBe("fresh");
  });

  it("passes the server's refusal on with its details (fields, locked_until)", async () => {
    const fetchFn = async () =>
      new Response(
        JSON.stringify({
          error: {
            code: "account_locked",
            message: "Locked",
            fields: {},
            locked_until: "2026-12-02T13:15:00+00:00",
          },
        }),
        { status: 423, headers: { "Content-Type": "application/json" } },
      );
    setPasswordApi(new HttpSyncApi(fetchFn));
    const refusal = await changePassword("wrong", "a-new-Secret-pw").catch((err: unknown) => err);
    expect(refusal).toBeInstanceOf(SyncHttpError);
    expect(refusal).toMatchObject({
      status: 423,
      code: "account_locked",
      details: { locked_until: "2026-12-02T13:15:00+00:00" },
    });
  });
});
