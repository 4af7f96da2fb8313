import { describe, expect, it, vi } from "vitest";
import { createTask } from "../data/writes";
import { db } from "../db";
import { SyncHttpError, type AuthApi, type SessionAnswer } from "./api";
import { OtherUsersChanges } from "./device";
import { login, logout, me, restoreSession, session, setAuthApi, takeWipedNotice } from "./session";

function answer(id: string, csrf = `csrf-${id}`): SessionAnswer {
  return {
    user: { id, username: id, display_name: id, role: "manager", team: null, phone: null },
    csrf_token: csrf,
    remember: true,
    expires_at: null,
  };
}

/** A server whose session belongs to `who` (null: signed out). */
function fakeAuth(state: { who: string | null; loggedOut: number; wipe?: boolean }): AuthApi {
  return {
    login: async (username, password) => {
      if (password !== "pw") throw new SyncHttpError(401, "invalid_credentials", "Wrong");
      state.who = username;
      return answer(username);
    },
    me: async () => {
      if (state.wipe) throw new SyncHttpError(401, "wipe_required", "Signed out by an admin.");
      if (state.who === null) throw new SyncHttpError(401, "unauthorized", "Sign in first.");
      return answer(state.who, "fresh");
    },
    logout: async () => {
      state.loggedOut += 1;
      state.who = null;
    },
  };
}

describe("session", () => {
  it("signs in, binds the user and token, and survives a restart", async () => {
    setAuthApi(fakeAuth({ who: null, loggedOut: 0 }));
    await expect(login("u1", "nope", true)).rejects.toMatchObject({ status: 401 });
    expect(session.value.kind).not.toBe("signed_in");
    await login("u1", "pw", true);
    expect((await db.meta.get("csrf_token"))?.value).toBe("csrf-u1");
    expect(await restoreSession()).toMatchObject({ kind: "signed_in", user: { id: "u1" } });
  });

  it("keeps the outbox when the session ends and the same user signs in again", async () => {
    const server = { who: null as string | null, loggedOut: 0 };
    setAuthApi(fakeAuth(server));
    await login("u1", "pw", true);
    await createTask({ title: "offline" });
    server.who = null; // expired while the phone was offline
    expect(await me()).toBeNull();
    expect(session.value.kind).toBe("signed_in");
    await login("u1", "pw", true);
    expect(await db.outbox.count()).toBe(1);
    await expect(login("u2", "pw", true)).rejects.toBeInstanceOf(OtherUsersChanges);
  });

  it("signs out by ending the server session and wiping the device", async () => {
    const server = { who: null as string | null, loggedOut: 0 };
    setAuthApi(fakeAuth(server));
    await login("u1", "pw", true);
    await createTask({ title: "never sent" });
    await logout();
    expect(server.loggedOut).toBe(1);
    expect(await db.outbox.count()).toBe(0);
    expect(await db.meta.count()).toBe(0);
    expect(await restoreSession()).toEqual({ kind: "signed_out" });
  });

  it("erases the device, unsent changes too, when the server says wipe_required", async () => {
    // The browser's localStorage (Node has none): where the notice outlives the wipe.
    const stored = new Map<string, string>();
    vi.stubGlobal("localStorage", {
      getItem: (key: string) => stored.get(key) ?? null,
      setItem: (key: string, value: string) => void stored.set(key, value),
      removeItem: (key: string) => void stored.delete(key),
    });
    const server = { who: null as string | null, loggedOut: 0, wipe: false };
    setAuthApi(fakeAuth(server));
    await login("u1", "pw", true);
    await createTask({ title: "never sent" });
    await db.customers.put({ id: "c1", name: "张伟", phone: "13812345678" } as never);
    server.wipe = true; // an admin signed this phone out
    expect(await me()).toBeNull();
    expect(session.value).toEqual({ kind: "signed_out" });
    expect(await db.customers.count()).toBe(0);
    expect(await db.outbox.count()).toBe(0);
    expect(await db.meta.count()).toBe(0);
    expect(server.loggedOut).toBe(0);
    // After a reload the phone holds nothing and says why, once.
    expect(await restoreSession()).toEqual({ kind: "signed_out" });
    expect(takeWipedNotice()).toBe(true);
    expect(takeWipedNotice()).toBe(false);
    expect(stored.has("fieldbook.user")).toBe(false);
    vi.unstubAllGlobals();
  });

  it("an ended session (not a wipe) keeps everything", async () => {
    const server = { who: null as string | null, loggedOut: 0 };
    setAuthApi(fakeAuth(server));
    await login("u1", "pw", true);
    await createTask({ title: "kept" });
    server.who = null;
    expect(await me()).toBeNull();
    expect(await db.outbox.count()).toBe(1);
    expect(takeWipedNotice()).toBe(false);
  });
});
