/**
 * Sending the photos taken on this device (docs/photos.md), after a sync: each waits
 * until its visit reached the server (the `log_visit` accepted: the local row is no
 * longer `_local`), then goes in one PUT under its own id. A photo whose answer was
 * lost is sent again at the next sync, and the server answers the stored photo: each
 * is stored once. Loaded on demand (a chunk of its own), only when photos wait.
 */
import { targetKey } from "../data/overlay";
import { db, getMeta, type PhotoRow } from "../db";
import { nowIso } from "../time";
import { HttpSyncApi, SyncHttpError, type PhotoApi, type ServerPhoto } from "./api";

/** The server's refusals: sending the same bytes again would be refused again. */
const FINAL = new Set([404, 409, 413, 415, 422]);

export interface PhotoReport {
  uploaded: number;
  refused: number;
  /** Still waiting: their visit is not on the server yet, or the network failed. */
  waiting: number;
}

/** Upload every waiting photo whose visit the server has; never throws on the network. */
export async function uploadWaitingPhotos(api: PhotoApi): Promise<PhotoReport> {
  const report: PhotoReport = { uploaded: 0, refused: 0, waiting: 0 };
  const waiting = await db.photos.where("status").equals("waiting").sortBy("taken_at");
  for (const photo of waiting) {
    const ready = await visitOnServer(photo);
    if (ready === "refused") {
      await settle(photo.id, { status: "refused", error: "visit_refused" });
      report.refused += 1;
      continue;
    }
    if (!ready || photo.data === null) {
      report.waiting += 1;
      continue;
    }
    try {
      const body = new Blob([photo.data], { type: photo.type });
      await api.uploadPhoto(photo.visit_id, photo.id, body, (await getMeta("csrf_token")) ?? null);
    } catch (err) {
      if (err instanceof SyncHttpError && FINAL.has(err.status)) {
        await settle(photo.id, { status: "refused", error: err.code ?? String(err.status) });
        report.refused += 1;
        continue;
      }
      // Offline, signed out, a server error: the rest waits for the next sync too.
      report.waiting += waiting.length - report.uploaded - report.refused;
      return report;
    }
    // The server holds the image: keep only the thumbnail here.
    await settle(photo.id, { status: "uploaded", data: null, uploaded_at: nowIso() });
    report.uploaded += 1;
  }
  return report;
}

function settle(id: string, changes: Partial<PhotoRow>): Promise<number> {
  return db.photos.update(id, changes);
}

/** true: the server has the visit; false: not yet; "refused": it never will. */
async function visitOnServer(photo: PhotoRow): Promise<boolean | "refused"> {
  const visit = await db.visits.get(photo.visit_id);
  if (visit && !visit._local) return true;
  if (visit) return false;
  // No visit here: its `log_visit` is still queued, or it was refused and undone.
  const queued = await db.outbox
    .where("targets")
    .equals(targetKey("visits", photo.visit_id))
    .count();
  return queued > 0 ? false : "refused";
}

/** The visit's photos on the server (taken on any device), when the network allows. */
export function serverPhotos(
  visitId: string,
  api: PhotoApi = new HttpSyncApi(),
): Promise<ServerPhoto[]> {
  return api.visitPhotos(visitId).then((answer) => answer.items);
}
