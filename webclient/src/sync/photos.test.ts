import { describe, expect, it } from "vitest";
import { fitted, keepWithVisit, type Compressed } from "../data/photos";
import { syncState } from "../data/queries";
import { logVisit } from "../data/writes";
import { db } from "../db";
import { customerId, FakeServer, seedPortfolio } from "../test/fakeServer";
import { apiFor, signIn } from "../test/helpers";
import { pull } from "./pull";
import { push } from "./push";
import { uploadWaitingPhotos } from "./photos";

async function syncedDevice() {
  const server = new FakeServer();
  seedPortfolio(server, 1);
  await signIn(server);
  await pull(apiFor(server));
  return server;
}

function photo(bytes = 3000): Compressed {
  return {
    id: crypto.randomUUID(),
    data: new Uint8Array(bytes).fill(7).buffer,
    type: "image/jpeg",
    thumb: new Uint8Array(100).buffer,
    width: 1600,
    height: 1200,
    taken_at: "2026-12-03T10:00:00+08:00",
  };
}

/** A visit logged offline with its photos, in one transaction. */
async function visitWithPhotos(...photos: Compressed[]): Promise<string> {
  return logVisit(
    { customer_id: customerId(1), channel: "visit", purpose: "routine" },
    keepWithVisit(photos, customerId(1)),
  );
}

const uploads = (server: FakeServer) => server.log.filter((r) => r.method === "PUT").length;

describe("photos of a visit", () => {
  it("fits the long side to 1,600 px and never enlarges", () => {
    expect(fitted(4000, 3000, 1600)).toEqual([1600, 1200]);
    expect(fitted(3000, 4000, 1600)).toEqual([1200, 1600]);
    expect(fitted(800, 600, 1600)).toEqual([800, 600]);
  });

  it("keeps the photos with the visit and sends them only once the visit reached the server", async () => {
    const server = await syncedDevice();
    const taken = photo();
    const visitId = await visitWithPhotos(taken);
    expect(await db.photos.get(taken.id)).toMatchObject({ visit_id: visitId, status: "waiting" });
    expect((await syncState()).pending).toBe(2); // the visit and its photo

    // The visit is still in the outbox: nothing goes.
    expect(await uploadWaitingPhotos(apiFor(server))).toEqual({
      uploaded: 0,
      refused: 0,
      waiting: 1,
    });
    expect(uploads(server)).toBe(0);

    await push(apiFor(server));
    expect(await uploadWaitingPhotos(apiFor(server))).toEqual({
      uploaded: 1,
      refused: 0,
      waiting: 0,
    });
    expect(server.photos.get(taken.id)).toEqual({ visit_id: visitId, bytes: 3000 });
    // The server holds the image: the device keeps the thumbnail only.
    expect((await syncState()).pending).toBe(0);
    const kept = await db.photos.get(taken.id);
    expect(kept).toMatchObject({ status: "uploaded", data: null });
    expect(kept!.thumb.byteLength).toBe(100);

    await uploadWaitingPhotos(apiFor(server));
    expect(uploads(server)).toBe(1);
  });

  it("sends a photo again after a lost answer and the server stores it once", async () => {
    const server = await syncedDevice();
    const taken = photo();
    await visitWithPhotos(taken);
    await push(apiFor(server));
    server.dropAnswers = 1;

    const first = await uploadWaitingPhotos(apiFor(server));
    expect(first).toEqual({ uploaded: 0, refused: 0, waiting: 1 });
    expect((await db.photos.get(taken.id))?.status).toBe("waiting");

    const second = await uploadWaitingPhotos(apiFor(server));
    expect(second.uploaded).toBe(1);
    expect(uploads(server)).toBe(2);
    expect(server.photos.size).toBe(1);
  });

  it("marks photos refused when their visit was refused and undone", async () => {
    const server = await syncedDevice();
    const taken = photo();
    const visitId = await visitWithPhotos(taken);
    // As after a refused log_visit: the outbox entry and the local row are gone.
    await db.outbox.clear();
    await db.visits.delete(visitId);

    expect((await uploadWaitingPhotos(apiFor(server))).refused).toBe(1);
    expect(await db.photos.get(taken.id)).toMatchObject({
      status: "refused",
      error: "visit_refused",
    });
    expect(uploads(server)).toBe(0);
  });

  it("keeps neither the visit nor its photos when keeping the photos fails", async () => {
    await syncedDevice();
    const visitsBefore = await db.visits.count();
    const taken = photo();
    await db.photos.add({
      ...taken,
      visit_id: "elsewhere",
      customer_id: customerId(1),
      status: "waiting",
      error: null,
      uploaded_at: null,
    });
    // The same photo id again: the add fails, and the visit goes with it.
    await expect(visitWithPhotos(taken)).rejects.toThrow();
    expect(await db.visits.count()).toBe(visitsBefore);
    expect(await db.outbox.count()).toBe(0);
  });
});
