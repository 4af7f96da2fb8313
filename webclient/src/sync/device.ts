/** Which device this is and whose: a device id belongs to one user for good (docs/sync.md). */
import { db, ENTITY_NAMES, SCHEMA_VERSION, type Uuid } from "../db";

/** This device's id, made on first use. */
export async function deviceId(): Promise<Uuid> {
  return db.transaction("rw", db.meta, async () => {
    const existing = await db.meta.get("device_id");
    if (typeof existing?.value === "string") return existing.value;
    const id = crypto.randomUUID();
    await db.meta.bulkPut([
      { key: "device_id", value: id },
      { key: "schema_version", value: SCHEMA_VERSION },
    ]);
    return id;
  });
}

/** The signed-in user has unsent changes of another user on this device. */
export class OtherUsersChanges extends Error {
  constructor(readonly pending: number) {
    super(`This device holds ${pending} unsent changes of another user.`);
    this.name = "OtherUsersChanges";
  }
}

/**
 * Remember who is signed in and the session's CSRF token (from POST /auth/login or
 * GET /auth/me). When another user signs in, the previous user's copy, outbox and
 * device id are dropped (the server would answer `device_mismatch`); if that user
 * left unsent changes, this refuses unless `discardOthers` is set.
 */
export async function bindSession(
  session: { userId: Uuid; csrfToken: string },
  options: { discardOthers?: boolean } = {},
): Promise<void> {
  await db.transaction(
    "rw",
    [db.meta, db.outbox, db.results, db.photos, ...ENTITY_NAMES.map((n) => db[n])],
    async () => {
      const previous = (await db.meta.get("user_id"))?.value;
      if (previous !== undefined && previous !== session.userId) {
        const pending = await db.outbox.count();
        if (pending > 0 && !options.discardOthers) throw new OtherUsersChanges(pending);
        await Promise.all([
          db.outbox.clear(),
          db.results.clear(),
          db.meta.clear(),
          db.photos.clear(),
        ]);
        await Promise.all(ENTITY_NAMES.map((name) => db[name].clear()));
      }
      await db.meta.bulkPut([
        { key: "user_id", value: session.userId },
        { key: "csrf_token", value: session.csrfToken },
      ]);
    },
  );
}
