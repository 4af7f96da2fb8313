import { describe, expect, it } from "vitest";
import { createTask } from "../data/writes";
import { db } from "../db";
import { apiFor, signIn } from "../test/helpers";
import { FakeServer, seedPortfolio } from "../test/fakeServer";
import { BACKOFF_CAP_MS, backoffDelay } from "./backoff";
import { SyncEngine, type Timers } from "./engine";

describe("backoffDelay", () => {
  it("doubles from 2 s and stops growing at 5 minutes", () => {
    const top = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map((n) => backoffDelay(n, () => 1));
    expect(top).toEqual([
      2_000, 4_000, 8_000, 16_000, 32_000, 64_000, 128_000, 256_000, 300_000, 300_000,
    ]);
    expect(backoffDelay(50, () => 1)).toBe(BACKOFF_CAP_MS);
  });

  it("jitters between half and all of the step", () => {
    expect(backoffDelay(3, () => 0)).toBe(8_000);
    expect(backoffDelay(3, () => 0.5)).toBe(12_000);
    expect(backoffDelay(20, () => 0)).toBe(150_000);
  });
});

/** Timers the test fires by hand, recording each delay asked for. */
function manualTimers() {
  const delays: number[] = [];
  const due: (() => void)[] = [];
  const timers: Timers = {
    set: (fn, ms) => {
      delays.push(ms);
      due.push(fn);
      return due.length - 1;
    },
    clear: (handle) => {
      due[handle as number] = () => undefined;
    },
  };
  return { timers, delays, fire: () => due[due.length - 1]!() };
}

async function engineFor(
  server: FakeServer,
  extra: Partial<ConstructorParameters<typeof SyncEngine>[0]> = {},
) {
  await signIn(server);
  const clock = manualTimers();
  const engine = new SyncEngine({
    api: apiFor(server),
    timers: clock.timers,
    random: () => 1,
    locks: null,
    events: null,
    isOnline: () => true,
    ...extra,
  });
  return { engine, clock };
}

describe("SyncEngine", () => {
  it("backs off further after each failure and resets after a success", async () => {
    const server = new FakeServer();
    seedPortfolio(server, 1);
    const { engine, clock } = await engineFor(server);
    // The device has its numbers already: a first sync would ask for them beside the
    // pull (sync/syncOnce.ts), and that request would take one of the failures.
    const userId = (await db.meta.get("user_id"))!.value as string;
    await db.meta.put({
      key: "my_numbers",
      value: { user_id: userId, fetched_at: new Date().toISOString(), numbers: server.numbers },
    });
    server.failures = [
      { status: 503, code: "unavailable" },
      { status: 503, code: "unavailable" },
      { status: 503, code: "unavailable" },
    ];

    expect(await engine.syncNow()).toBe("failed");
    expect(await engine.syncNow()).toBe("failed");
    expect(await engine.syncNow()).toBe("failed");
    expect(engine.status.value).toMatchObject({ error: "server_error", syncing: false });
    expect(await engine.syncNow()).toBe("synced");
    expect(clock.delays).toEqual([2_000, 4_000, 8_000, 5 * 60_000]);
    expect(engine.status.value).toMatchObject({ error: null, lastSyncAt: expect.any(String) });
  });

  it("waits for the user after a 401, keeping the changes", async () => {
    const server = new FakeServer();
    seedPortfolio(server, 1);
    const { engine, clock } = await engineFor(server);
    await createTask({ title: "offline" });
    server.signedIn = false;

    expect(await engine.syncNow()).toBe("failed");
    expect(engine.status.value).toMatchObject({
      error: "signed_out",
      pending: 1,
      nextAttemptAt: null,
    });
    expect(clock.delays).toEqual([]);
    server.signedIn = true;
    expect(await engine.syncNow()).toBe("synced");
    expect(engine.status.value.pending).toBe(0);
  });

  it("reports progress during a first full sync", async () => {
    const server = new FakeServer();
    seedPortfolio(server, 3);
    const { engine } = await engineFor(server);
    const seen: { rowsApplied: number; total: number | null }[] = [];
    engine.status.subscribe((s) => s.progress && seen.push(s.progress));
    await engine.syncNow();
    expect(seen).toEqual([{ rowsApplied: 18, total: 18 }]);
    expect(engine.status.value.progress).toBeNull();
  });

  it("leaves the sync to the tab holding the lock", async () => {
    const server = new FakeServer();
    const held = {
      request: (_name: string, _options: LockOptions, callback: (lock: Lock | null) => unknown) =>
        Promise.resolve(callback(null)),
    } as unknown as LockManager;
    const { engine } = await engineFor(server, { locks: held });
    expect(await engine.syncNow()).toBe("busy");
    expect(server.log).toEqual([]);
  });

  it("does not try while offline", async () => {
    const server = new FakeServer();
    const { engine } = await engineFor(server, { isOnline: () => false });
    expect(await engine.syncNow()).toBe("offline");
    expect(engine.status.value).toMatchObject({ online: false, error: "offline" });
    expect(server.log).toEqual([]);
  });
});
