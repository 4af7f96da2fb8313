import { signal, type ReadonlySignal } from "@preact/signals";
import { describe, expect, it, vi } from "vitest";
import { agendaFor, todayLocal, type AgendaItem } from "../../data";
import { db } from "../../db";
import { SyncEngine } from "../../sync/engine";
import { apiFor, signIn } from "../../test/helpers";
import { FakeServer, seedPortfolio, taskId } from "../../test/fakeServer";
import { followLive } from "./live";

/** Today's agenda as a screen follows it: every read and every answer recorded. */
function followAgenda(paused?: ReadonlySignal<boolean>) {
  const seen = {
    reads: 0,
    answers: [] as AgendaItem[][],
    /** Whether it was paused when each answer came. */
    pausedThen: [] as boolean[],
    errors: [] as unknown[],
  };
  const stop = followLive(
    async () => {
      seen.reads += 1;
      return agendaFor(todayLocal());
    },
    {
      next: (items) => {
        seen.answers.push(items);
        seen.pausedThen.push(paused?.peek() ?? false);
      },
      error: (err) => seen.errors.push(err),
    },
    paused,
  );
  return { seen, stop };
}

async function firstSyncEngine(customers: number, pullLimit = 10) {
  const server = new FakeServer();
  seedPortfolio(server, customers);
  await signIn(server);
  const engine = new SyncEngine({
    api: apiFor(server),
    timers: { set: () => null, clear: () => undefined },
    locks: null,
    events: null,
    isOnline: () => true,
    pullLimit,
  });
  return { server, engine };
}

const taskIds = (items: AgendaItem[]) =>
  items.flatMap((item) => (item.type === "task" ? [item.task.id] : [])).sort();

describe("followLive", () => {
  it("reads Today's agenda once after a first sync of many pages, not after each page", async () => {
    // 3 reference rows + 5 per customer: 63 changes, 7 pages of 10.
    const { engine } = await firstSyncEngine(12);
    const pages: boolean[] = [];
    const watchPages = engine.status.subscribe((status) => {
      if (status.progress) pages.push(engine.fullSync.value);
    });
    const { seen, stop } = followAgenda(engine.fullSync);
    await vi.waitFor(() => expect(seen.answers).toHaveLength(1));
    expect(seen.answers[0]).toEqual([]); // nothing on the phone yet
    const reads = seen.reads;

    expect(await engine.syncNow()).toBe("synced");
    await vi.waitFor(() => expect(seen.answers).toHaveLength(2));
    watchPages();

    expect(pages.length).toBe(7);
    expect(pages.every((running) => running)).toBe(true);
    expect(engine.fullSync.value).toBe(false);
    // One read after its last page, none per page.
    expect(seen.reads).toBe(reads + 1);
    expect(seen.pausedThen).toEqual([false, false]);
    expect(seen.errors).toEqual([]);
    // And it is the right agenda: every customer's open task, overdue.
    const after = seen.answers[1]!;
    expect(taskIds(after)).toEqual(Array.from({ length: 12 }, (_, k) => taskId(k + 1)).sort());
    expect(after).toEqual(await agendaFor(todayLocal()));
    stop();
  });

  it("follows changes again once the full sync is over", async () => {
    const { engine } = await firstSyncEngine(3);
    await engine.syncNow();
    const { seen, stop } = followAgenda(engine.fullSync);
    await vi.waitFor(() => expect(seen.answers).toHaveLength(1));
    expect(taskIds(seen.answers[0]!)).toHaveLength(3);

    // An incremental change (here a local edit) shows at once, without a full sync.
    await db.tasks.update(taskId(1), { status: "done" });
    await vi.waitFor(() => expect(seen.answers).toHaveLength(2));
    expect(taskIds(seen.answers[1]!)).toEqual([taskId(2), taskId(3)].sort());
    stop();
  });

  it("while paused neither reads nor answers, and reads once when resumed", async () => {
    const { engine } = await firstSyncEngine(2, 3);
    const paused = signal(false);
    const { seen, stop } = followAgenda(paused);
    await vi.waitFor(() => expect(seen.answers).toHaveLength(1));

    paused.value = true;
    const reads = seen.reads;
    const answers = seen.answers.length;
    expect(await engine.syncNow()).toBe("synced");
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(seen.reads).toBe(reads);
    expect(seen.answers).toHaveLength(answers);

    paused.value = false;
    await vi.waitFor(() => expect(seen.answers).toHaveLength(answers + 1));
    expect(seen.reads).toBe(reads + 1);
    expect(taskIds(seen.answers.at(-1)!)).toEqual([taskId(1), taskId(2)].sort());
    stop();
  });

  it("without a pause, reads again after every stored page (what Today did before)", async () => {
    const { engine } = await firstSyncEngine(12);
    const { seen, stop } = followAgenda();
    await vi.waitFor(() => expect(seen.answers).toHaveLength(1));
    await engine.syncNow();
    await vi.waitFor(() => expect(taskIds(seen.answers.at(-1)!)).toHaveLength(12));
    expect(seen.reads).toBeGreaterThan(3);
    stop();
  });
});
