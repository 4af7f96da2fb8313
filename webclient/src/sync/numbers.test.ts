import { describe, expect, it } from "vitest";
import { createTask } from "../data/writes";
import { myNumbers } from "../data/queries";
import { db, type StoredMyNumbers } from "../db";
import { apiFor, signIn } from "../test/helpers";
import { FakeServer, seedPortfolio } from "../test/fakeServer";
import { setClock } from "../time";
import { HttpSyncApi } from "./api";
import { SyncEngine } from "./engine";
import { NUMBERS_MAX_AGE_MS, refreshMyNumbers } from "./numbers";
import { logout, setAuthApi } from "./session";
import { syncOnce } from "./syncOnce";

async function stored(): Promise<StoredMyNumbers | undefined> {
  return (await db.meta.get("my_numbers"))?.value as StoredMyNumbers | undefined;
}

const numbersRequests = (server: FakeServer) =>
  server.log.filter((r) => r.path === "/api/v1/reviews/me").length;

async function device(customers = 1) {
  const server = new FakeServer();
  seedPortfolio(server, customers);
  await signIn(server);
  return server;
}

/** A clock the test moves by hand. */
function clockAt(iso: string) {
  let at = new Date(iso).getTime();
  setClock(() => new Date(at));
  return { advance: (ms: number) => (at += ms) };
}

describe("my numbers in the sync", () => {
  it("are fetched after the pull and stored with the time they came", async () => {
    const server = await device();
    await syncOnce(apiFor(server));
    clockAt("2026-11-25T10:00:00+08:00");
    await createTask({ title: "made offline" });
    const report = await syncOnce(apiFor(server));

    expect(report.numbers).toBe("stored");
    const paths = server.log.map((r) => r.path);
    expect(paths.lastIndexOf("/api/v1/reviews/me")).toBeGreaterThan(
      paths.lastIndexOf("/api/v1/sync/pull"),
    );
    expect(await stored()).toEqual({
      user_id: server.userId,
      fetched_at: expect.any(String),
      numbers: server.numbers,
    });
    expect(Date.parse((await stored())!.fetched_at)).toBe(
      new Date("2026-11-25T10:00:00+08:00").getTime(),
    );
  });

  it("are asked for while a first sync's pull runs, once", async () => {
    const server = await device(30);
    const report = await syncOnce(apiFor(server), { limit: 5 });

    expect(report.numbers).toBe("stored");
    const paths = server.log.map((r) => r.path);
    const pulls = paths.filter((p) => p === "/api/v1/sync/pull").length;
    expect(pulls).toBeGreaterThan(3);
    expect(numbersRequests(server)).toBe(1);
    expect(paths.indexOf("/api/v1/reviews/me")).toBeLessThan(
      paths.lastIndexOf("/api/v1/sync/pull"),
    );
    expect((await stored())!.numbers).toEqual(server.numbers);
  });

  it("a failure to fetch them fails nothing and leaves the outbox and the last copy alone", async () => {
    const server = await device();
    await syncOnce(apiFor(server));
    const before = await stored();

    await createTask({ title: "made offline" });
    server.numbersFailures = 1;
    server.numbers = { ...server.numbers, show_rank: true };
    const report = await syncOnce(apiFor(server));

    expect(report.numbers).toBe("failed");
    expect(report.pushed.applied).toBe(1);
    expect(await db.outbox.count()).toBe(0);
    expect(await db.results.count()).toBe(0);
    expect(await stored()).toEqual(before);
    expect((await db.meta.get("cursor"))?.value).toEqual(expect.any(String));
  });

  it("the engine calls the sync a success when only the numbers failed", async () => {
    const server = await device();
    server.numbersFailures = 1;
    const engine = new SyncEngine({
      api: apiFor(server),
      timers: { set: () => 0, clear: () => undefined },
      locks: null,
      events: null,
      isOnline: () => true,
    });
    expect(await engine.syncNow()).toBe("synced");
    expect(engine.status.value).toMatchObject({ error: null, pending: 0 });
    expect(await myNumbers()).toBeNull();
  });

  it("are asked for once a round, and a quiet round leaves a recent copy be", async () => {
    const server = await device();
    const clock = clockAt("2026-11-25T10:00:00+08:00");
    await syncOnce(apiFor(server));
    expect(numbersRequests(server)).toBe(1);

    // Nothing sent, nothing pulled, the copy is a minute old: not asked again.
    clock.advance(60_000);
    expect((await syncOnce(apiFor(server))).numbers).toBe("fresh");
    expect(numbersRequests(server)).toBe(1);

    // A round that carried changes asks again, however recent the copy.
    await createTask({ title: "new" });
    expect((await syncOnce(apiFor(server))).numbers).toBe("stored");
    expect(numbersRequests(server)).toBe(2);

    // A quiet round asks again once the copy is old.
    clock.advance(NUMBERS_MAX_AGE_MS);
    server.numbers = { ...server.numbers, show_rank: true };
    expect((await syncOnce(apiFor(server))).numbers).toBe("stored");
    expect(numbersRequests(server)).toBe(3);
    expect((await stored())!.numbers.show_rank).toBe(true);
  });

  it("are not kept when another user is bound by the time they come", async () => {
    const server = await device();
    class SwitchingApi extends HttpSyncApi {
      override async myNumbers() {
        const answer = await super.myNumbers();
        await db.meta.put({ key: "user_id", value: "someone-else" });
        return answer;
      }
    }
    expect(await refreshMyNumbers(new SwitchingApi(server.fetch), { changed: true })).toBe(
      "skipped",
    );
    expect(await stored()).toBeUndefined();
  });

  it("are wiped by signing out", async () => {
    const server = await device();
    await syncOnce(apiFor(server));
    expect(await myNumbers()).not.toBeNull();
    setAuthApi({
      login: () => Promise.reject(new Error("unused")),
      me: () => Promise.reject(new Error("unused")),
      logout: async () => undefined,
    });
    await logout();
    expect(await db.meta.get("my_numbers")).toBeUndefined();
    expect(await myNumbers()).toBeNull();
  });
});
