/**
 * Who is signed in on this device.
 *
 * The device counts as signed in while it holds a bound user (meta `user_id`), even
 * offline and even when the server's session has ended meanwhile: the manager keeps
 * working on the local copy, the outbox waits, and the first sync that gets a 401
 * asks them to sign in again (the engine's `signed_out` problem). Only `logout()`
 * drops the local copy, and `wipeDevice()`: when the server answers 401
 * `wipe_required` (an admin signed this device out, or the user was deactivated), the
 * copy, the outbox's unsent changes included, is erased at once (docs/security.md).
 */
import { signal } from "@preact/signals";
import { db, getMeta, resetDb } from "../db";
import {
  HttpSyncApi,
  SyncHttpError,
  type AuthApi,
  type PasswordApi,
  type SessionUser,
} from "./api";
import { bindSession } from "./device";

export type { SessionUser } from "./api";

export type SessionState =
  { kind: "loading" } | { kind: "signed_out" } | { kind: "signed_in"; user: SessionUser };

/** The profile shown offline (name, role); the database keeps only the user's id. */
const PROFILE_KEY = "fieldbook.user";

/** Set when this device was wiped on the server's word; the sign-in screen says so once. */
const WIPED_KEY = "fieldbook.wiped";

/** Who is signed in; a component that reads `session.value` re-renders when it changes. */
export const session = signal<SessionState>({ kind: "loading" });

let api: AuthApi = new HttpSyncApi();
let passwordApi: PasswordApi = new HttpSyncApi();

/** Tests give a fake server. */
export function setAuthApi(next: AuthApi): void {
  api = next;
}

/** Tests give a fake server. */
export function setPasswordApi(next: PasswordApi): void {
  passwordApi = next;
}

/**
 * Change the signed-in user's password (online only). The server signs out the user's
 * other devices and keeps this one. Throws `SyncHttpError`: 422 with `fields`
 * (`current_password`, `new_password`), 423 `account_locked`; a `TypeError` offline.
 */
export async function changePassword(currentPassword: string, newPassword: string): Promise<void> {
  const csrf = await getMeta("csrf_token");
  try {
    await passwordApi.changePassword(currentPassword, newPassword, csrf ?? null);
  } catch (err) {
    if (!(err instanceof SyncHttpError && err.code === "csrf_failed")) throw err;
    // A token from before a server-side change: ask for this session's token once more.
    await me();
    const fresh = await getMeta("csrf_token");
    await passwordApi.changePassword(currentPassword, newPassword, fresh ?? null);
  }
}

function saveProfile(user: SessionUser): void {
  globalThis.localStorage?.setItem(PROFILE_KEY, JSON.stringify(user));
}

function savedProfile(): SessionUser | null {
  try {
    return JSON.parse(globalThis.localStorage?.getItem(PROFILE_KEY) ?? "null") as SessionUser;
  } catch {
    return null;
  }
}

/** On start: signed in when this device holds a user's copy, whatever the network says. */
export async function restoreSession(): Promise<SessionState> {
  const userId = await getMeta("user_id");
  const profile = savedProfile();
  let state: SessionState = { kind: "signed_out" };
  if (userId !== undefined) {
    const synced = await db.users.get(userId);
    const user: SessionUser =
      profile?.id === userId
        ? profile
        : {
            id: userId,
            username: synced?.username ?? "",
            display_name: synced?.display_name ?? "",
            role: synced?.role ?? "manager",
            team: null,
            phone: synced?.phone ?? null,
          };
    state = { kind: "signed_in", user };
  }
  session.value = state;
  return state;
}

/**
 * Sign in and bind the session to this device. Throws `SyncHttpError` (401
 * `invalid_credentials`, 422), a `TypeError` when offline, and `OtherUsersChanges`
 * when another user left unsent changes here (pass `discardOthers` to drop them).
 */
export async function login(
  username: string,
  password: string,
  remember: boolean,
  options: { discardOthers?: boolean } = {},
): Promise<SessionUser> {
  const answer = await api.login(username, password, remember);
  await bindSession({ userId: answer.user.id, csrfToken: answer.csrf_token }, options);
  saveProfile(answer.user);
  session.value = { kind: "signed_in", user: answer.user };
  return answer.user;
}

/**
 * Ask the server who this session is, refreshing the CSRF token and the profile.
 * Null when the session has ended (401); throws when the server cannot be reached.
 */
export async function me(): Promise<SessionUser | null> {
  try {
    const answer = await api.me();
    const bound = await getMeta("user_id");
    // The cookie belongs to someone else than the local copy: leave it to a sign-in.
    if (bound !== undefined && bound !== answer.user.id) return null;
    await bindSession({ userId: answer.user.id, csrfToken: answer.csrf_token });
    saveProfile(answer.user);
    session.value = { kind: "signed_in", user: answer.user };
    return answer.user;
  } catch (err) {
    if (isWipeRequired(err)) {
      await wipeDevice();
      return null;
    }
    if (err instanceof SyncHttpError && err.status === 401) return null;
    throw err;
  }
}

/** The server's 401 `wipe_required`: this device must erase its local copy. */
export function isWipeRequired(err: unknown): boolean {
  return err instanceof SyncHttpError && err.status === 401 && err.code === "wipe_required";
}

/**
 * Erase everything this device holds, unsent changes too: an admin signed the device
 * out (a lost phone) or the user was deactivated, so nothing on it may be sent or
 * kept. The sign-in screen then says why (`takeWipedNotice`).
 */
export async function wipeDevice(): Promise<void> {
  await wipeLocalCopy();
  globalThis.localStorage?.setItem(WIPED_KEY, "1");
  session.value = { kind: "signed_out" };
}

/** Whether the device was wiped since the sign-in screen last said so (read once). */
export function takeWipedNotice(): boolean {
  const wiped = globalThis.localStorage?.getItem(WIPED_KEY) === "1";
  if (wiped) globalThis.localStorage?.removeItem(WIPED_KEY);
  return wiped;
}

async function wipeLocalCopy(): Promise<void> {
  // Screens close their live queries first, so nothing reads the database being deleted.
  session.value = { kind: "loading" };
  await resetDb();
  globalThis.localStorage?.removeItem(PROFILE_KEY);
  if (globalThis.caches) {
    for (const key of await caches.keys()) await caches.delete(key);
  }
}

/**
 * Sign out: end the server session when it can be reached, then wipe this device's
 * copy, outbox and the service worker's caches. Callers warn first about unsent changes.
 */
export async function logout(): Promise<void> {
  const csrf = await getMeta("csrf_token");
  try {
    await api.logout(csrf ?? null);
  } catch {
    // Offline, or the session already ended: the local wipe below is what protects the data.
  }
  await wipeLocalCopy();
  session.value = { kind: "signed_out" };
}
