/**
 * Photos of a visit on the phone (docs/photos.md): made small here, kept in IndexedDB
 * beside the outbox, sent by the sync engine once their visit reached the server
 * (sync/photos.ts). Loaded on demand with the photo picker: a chunk of its own.
 */
import { db, type PhotoRow, type Uuid } from "../db";
import { nowIso } from "../time";
import { announceLocalChange } from "./outbox";

/** The long side of a photo as sent (the server keeps at most 1,600 px too). */
export const LONG_SIDE = 1600;
const THUMB_SIDE = 240;
const QUALITY = 0.82;
/** What a visit takes at most (the server's PHOTO_MAX_PER_VISIT). */
export const MAX_PHOTOS = 10;

/** A photo made small, not yet kept: the form holds it until the visit is saved. */
export interface Compressed {
  id: Uuid;
  data: ArrayBuffer;
  type: string;
  thumb: ArrayBuffer;
  width: number;
  height: number;
  taken_at: string;
}

/** The size that fits `side` on the long side, never enlarged. */
export function fitted(width: number, height: number, side: number): [number, number] {
  const scale = Math.min(1, side / Math.max(width, height));
  return [Math.max(1, Math.round(width * scale)), Math.max(1, Math.round(height * scale))];
}

async function encode(bitmap: ImageBitmap, side: number, quality: number): Promise<Blob> {
  const [width, height] = fitted(bitmap.width, bitmap.height, side);
  if (typeof OffscreenCanvas !== "undefined") {
    const canvas = new OffscreenCanvas(width, height);
    canvas.getContext("2d")!.drawImage(bitmap, 0, 0, width, height);
    return canvas.convertToBlob({ type: "image/jpeg", quality });
  }
  const canvas = document.createElement("canvas");
  canvas.width = width;
  canvas.height = height;
  canvas.getContext("2d")!.drawImage(bitmap, 0, 0, width, height);
  return new Promise((resolve, reject) =>
    canvas.toBlob(
      (blob) => (blob ? resolve(blob) : reject(new Error("encode failed"))),
      "image/jpeg",
      quality,
    ),
  );
}

/**
 * A camera photo (often 4,000 px and several MB) as a JPEG of about 1,600 px on its
 * long side, upright (the browser applies the EXIF orientation when it decodes), and
 * a thumbnail. Drawing on a canvas keeps the pixels only: no EXIF, no location.
 */
export async function compressPhoto(file: Blob): Promise<Compressed> {
  const bitmap = await createImageBitmap(file, { imageOrientation: "from-image" });
  try {
    const [image, thumb] = await Promise.all([
      encode(bitmap, LONG_SIDE, QUALITY),
      encode(bitmap, THUMB_SIDE, 0.7),
    ]);
    const [width, height] = fitted(bitmap.width, bitmap.height, LONG_SIDE);
    return {
      id: crypto.randomUUID(),
      data: await image.arrayBuffer(),
      type: image.type || "image/jpeg",
      thumb: await thumb.arrayBuffer(),
      width,
      height,
      taken_at: nowIso(),
    };
  } finally {
    bitmap.close();
  }
}

function row(photo: Compressed, visitId: Uuid, customerId: Uuid): PhotoRow {
  return {
    ...photo,
    visit_id: visitId,
    customer_id: customerId,
    status: "waiting",
    error: null,
    uploaded_at: null,
  };
}

/**
 * Keep the photos taken with a new visit: for `logVisit`'s `alongside`, inside its
 * transaction, so the visit and its photos are kept together or not at all.
 */
export function keepWithVisit(photos: Compressed[], customerId: Uuid) {
  return async (visitId: Uuid): Promise<void> => {
    await db.photos.bulkAdd(photos.map((photo) => row(photo, visitId, customerId)));
  };
}

/** Add photos to a visit already logged; they are sent at the next sync. */
export async function addPhotos(
  visitId: Uuid,
  customerId: Uuid,
  photos: Compressed[],
): Promise<void> {
  await db.photos.bulkAdd(photos.map((photo) => row(photo, visitId, customerId)));
  announceLocalChange();
}

/** The photos of a visit kept on this device, oldest first. */
export function visitPhotos(visitId: Uuid): Promise<PhotoRow[]> {
  return db.photos.where("visit_id").equals(visitId).sortBy("taken_at");
}
