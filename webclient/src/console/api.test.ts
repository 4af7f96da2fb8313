import { describe, expect, it } from "vitest";
import { ApiError, ConsoleApi, fieldMessages, queryString, type FetchLike } from "./api";

interface Call {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: unknown;
}

function json(status: number, body: unknown): Response {
  return new Response(status === 204 ? null : JSON.stringify(body), {
    status,
    headers: { "Content-Type": "application/json" },
  });
}

/** A fetch that records each call and answers from `answer`. */
function fakeFetch(answer: (call: Call, index: number) => Response) {
  const calls: Call[] = [];
  const fetchFn: FetchLike = async (url, init = {}) => {
    const call = {
      url,
      method: init.method ?? "GET",
      headers: init.headers as Record<string, string>,
      body: init.body ? JSON.parse(init.body as string) : undefined,
    };
    calls.push(call);
    return answer(call, calls.length - 1);
  };
  return { calls, fetchFn };
}

const session = (token: string) => ({
  user: {
    id: "u1",
    username: "lead1",
    display_name: "Lead",
    role: "lead",
    team: null,
    phone: null,
  },
  csrf_token: token,
  remember: false,
  expires_at: null,
});

describe("ConsoleApi", () => {
  it("sends the CSRF token from sign-in with every write, never with a read", async () => {
    const { calls, fetchFn } = fakeFetch((call) =>
      call.url.endsWith("/auth/login") ? json(200, session("tok-1")) : json(200, { ok: true }),
    );
    const client = new ConsoleApi(fetchFn);
    await client.login("lead1", "pw", false);
    await client.teams();
    await client.assign({ customer_ids: ["c1"], manager_id: "m1", reason: "leave", dry_run: true });

    expect(calls.map((c) => `${c.method} ${c.url}`)).toEqual([
      "POST /api/v1/auth/login",
      "GET /api/v1/teams",
      "POST /api/v1/customers/assign",
    ]);
    expect(calls[0]!.headers["X-CSRF-Token"]).toBeUndefined();
    expect(calls[1]!.headers["X-CSRF-Token"]).toBeUndefined();
    expect(calls[2]!.headers["X-CSRF-Token"]).toBe("tok-1");
    expect(calls[2]!.headers["Content-Type"]).toBe("application/json");
    expect(calls[2]!.body).toEqual({
      customer_ids: ["c1"],
      manager_id: "m1",
      reason: "leave",
      dry_run: true,
    });
  });

  it("asks /auth/me for a token it does not hold, and again once after csrf_failed", async () => {
    let token = "old";
    const { calls, fetchFn } = fakeFetch((call) => {
      if (call.url.endsWith("/auth/me")) return json(200, session(token));
      if (call.headers["X-CSRF-Token"] !== "new") {
        token = "new"; // the session's token changed meanwhile
        return json(403, { error: { code: "csrf_failed", message: "Missing token", fields: {} } });
      }
      return json(201, { id: "t1", name: "East" });
    });
    const client = new ConsoleApi(fetchFn);
    const team = await client.createTeam("East");

    expect(team).toEqual({ id: "t1", name: "East" });
    expect(calls.map((c) => `${c.method} ${c.url} ${c.headers["X-CSRF-Token"] ?? "-"}`)).toEqual([
      "GET /api/v1/auth/me -",
      "POST /api/v1/teams old",
      "GET /api/v1/auth/me -",
      "POST /api/v1/teams new",
    ]);
  });

  it("turns the error shape into an ApiError with its field messages", async () => {
    const { fetchFn } = fakeFetch(() =>
      json(422, {
        error: {
          code: "validation_error",
          message: "Some fields are invalid: scorecard.",
          fields: { scorecard: { "2": { weight: ["Must be between 0 and 100."] } } },
        },
      }),
    );
    const client = new ConsoleApi(fetchFn);
    const err = await client.review({ starts_on: "2026-11-01" }).catch((e: unknown) => e);

    expect(err).toBeInstanceOf(ApiError);
    const apiError = err as ApiError;
    expect([apiError.status, apiError.code, apiError.notFound]).toEqual([
      422,
      "validation_error",
      false,
    ]);
    expect(fieldMessages(apiError.fields, "scorecard.2.weight")).toEqual([
      "Must be between 0 and 100.",
    ]);
    expect(fieldMessages(apiError.fields, "scorecard.1.weight")).toEqual([]);
    expect(fieldMessages(apiError.fields, "name")).toEqual([]);
  });

  it("says 404 is not found, and survives an answer that is not JSON", async () => {
    const { fetchFn } = fakeFetch(() => new Response("<html>Bad gateway</html>", { status: 502 }));
    const err = (await new ConsoleApi(fetchFn).teams().catch((e: unknown) => e)) as ApiError;
    expect([err.status, err.code, err.message]).toEqual([502, null, "HTTP 502"]);

    const notFound = fakeFetch(() =>
      json(404, { error: { code: "not_found", message: "Not found.", fields: {} } }),
    );
    const missing = (await new ConsoleApi(notFound.fetchFn)
      .team("other-team")
      .catch((e: unknown) => e)) as ApiError;
    expect(missing.notFound).toBe(true);
  });

  it("uploads an import as multipart with the token and reports its progress", async () => {
    const { fetchFn } = fakeFetch(() => json(200, session("tok-9")));
    const progress: number[] = [];
    let sent: { url: string; headers: Record<string, string>; file: FormDataEntryValue | null } = {
      url: "",
      headers: {},
      file: null,
    };
    const client = new ConsoleApi(fetchFn, async (url, form, headers, onProgress) => {
      sent = { url, headers, file: form.get("file") };
      onProgress(50, 100);
      onProgress(100, 100);
      return {
        status: 422,
        body: {
          error: {
            code: "import_rejected",
            message: "2 row(s) have errors; nothing was imported.",
            fields: { rows: [{ line: 3, field: "tier", message: "Unknown tier 'silver'." }] },
          },
        },
      };
    });
    const err = (await client
      .importCsv("customers", new Blob(["external_no\n"]), "c.csv", true, (s, t) =>
        progress.push(s / t),
      )
      .catch((e: unknown) => e)) as ApiError;

    expect(sent.url).toBe("/api/v1/imports/customers?partial=true");
    expect(sent.headers["X-CSRF-Token"]).toBe("tok-9");
    expect((sent.file as File).name).toBe("c.csv");
    expect(progress).toEqual([0.5, 1]);
    expect(err.code).toBe("import_rejected");
    expect(err.fields["rows"]).toEqual([
      { line: 3, field: "tier", message: "Unknown tier 'silver'." },
    ]);
  });
});

describe("queryString", () => {
  it("leaves out unset filters and keeps false and 0", () => {
    expect(
      queryString({ team_id: undefined, q: "", unassigned: false, page: 0, tier: "gold" }),
    ).toBe("?unassigned=false&page=0&tier=gold");
    expect(queryString({})).toBe("");
  });
});
