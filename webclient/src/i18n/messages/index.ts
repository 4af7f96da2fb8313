import { campaign } from "./campaign";
import { common } from "./common";
import { customer } from "./customer";
import { forms } from "./forms";
import { numbers } from "./numbers";
import { portfolio } from "./portfolio";
import { shell } from "./shell";
import { sync } from "./sync";
import { today } from "./today";

/** Every area's messages; a screen's area file is added here once. */
export const catalogues = [
  common,
  shell,
  today,
  sync,
  portfolio,
  customer,
  forms,
  campaign,
  numbers,
] as const;

/** An area as it must be: its English and Chinese catalogues have the same keys. */
type SameKeys<Area> = Area extends { en: infer En; zh: infer Zh }
  ? { en: Record<keyof Zh, string>; zh: Record<keyof En, string> }
  : never;
type EveryArea<Areas> = { [I in keyof Areas]: SameKeys<Areas[I]> };

// A key missing from either language of an area fails `tsc` here, naming the key.
catalogues satisfies EveryArea<typeof catalogues>;

type KeysOf<T> = T extends unknown ? keyof T : never;

/** Every message key of every area: `t()` takes nothing else. */
export type MessageKey = KeysOf<(typeof catalogues)[number]["en"]>;
