/**
 * Who is signed in to the console: asked of the server on every start (GET /auth/me),
 * kept in memory only. A manager may sign in but is sent to the phone app.
 */
import { signal } from "@preact/signals";
import { ApiError, api } from "./api";
import type { SessionUser } from "./types";

export type ConsoleSession =
  | { kind: "loading" }
  | { kind: "signed_out" }
  | { kind: "unreachable" }
  | { kind: "signed_in"; user: SessionUser };

export const session = signal<ConsoleSession>({ kind: "loading" });

/** The signed-in user; screens render only when there is one. */
export function currentUser(): SessionUser {
  const state = session.value;
  if (state.kind !== "signed_in") throw new Error("Not signed in");
  return state.user;
}

export async function restore(): Promise<void> {
  try {
    const answer = await api.me();
    session.value = { kind: "signed_in", user: answer.user };
  } catch (err) {
    session.value =
      err instanceof ApiError && err.status === 401
        ? { kind: "signed_out" }
        : { kind: "unreachable" };
  }
}

export async function signIn(username: string, password: string, remember: boolean) {
  const answer = await api.login(username, password, remember);
  session.value = { kind: "signed_in", user: answer.user };
  return answer.user;
}

export async function signOut(): Promise<void> {
  try {
    await api.logout();
  } finally {
    session.value = { kind: "signed_out" };
  }
}
