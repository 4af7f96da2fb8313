import { expect } from "vitest";
import { db, ENTITY_NAMES, type EntityName } from "../db";
import { HttpSyncApi } from "../sync/api";
import { bindSession } from "../sync/device";
import { pull } from "../sync/pull";
import { FakeServer, seedPortfolio } from "./fakeServer";

/** The client's real HTTP code, talking to the fake server. */
export function apiFor(server: FakeServer): HttpSyncApi {
  return new HttpSyncApi(server.fetch);
}

export async function signIn(server: FakeServer): Promise<void> {
  await bindSession({ userId: server.userId, csrfToken: server.csrfToken });
}

/** A signed-in device holding a first sync of a fake portfolio of `customers`. */
export async function syncedDevice(customers: number): Promise<FakeServer> {
  const server = new FakeServer();
  seedPortfolio(server, customers);
  await signIn(server);
  await pull(apiFor(server));
  return server;
}

/** The local copy without device-only fields: entity -> id -> row. */
export async function localCopy(): Promise<Map<EntityName, Map<string, Record<string, unknown>>>> {
  const copy = new Map<EntityName, Map<string, Record<string, unknown>>>();
  for (const name of ENTITY_NAMES) {
    const rows = (await db[name].toArray()) as unknown as Record<string, unknown>[];
    copy.set(name, new Map(rows.map((row) => [String(row.id), row])));
  }
  return copy;
}

/** The device holds exactly the server's view of its user's scope. */
export async function expectSameAsServer(server: FakeServer): Promise<void> {
  const local = await localCopy();
  const remote = server.scope();
  for (const name of ENTITY_NAMES) {
    expect(Object.fromEntries(local.get(name)!), name).toEqual(
      Object.fromEntries(remote.get(name)!),
    );
  }
}
