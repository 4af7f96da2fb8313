import "fake-indexeddb/auto";
import { afterEach, beforeEach } from "vitest";
import { resetDb } from "../db";
import { setClock } from "../time";

beforeEach(async () => {
  await resetDb();
});

afterEach(() => {
  setClock(null);
});
