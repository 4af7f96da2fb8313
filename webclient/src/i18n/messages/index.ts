import type { EveryArea, KeysOfAreas } from "../core";
import { campaign } from "./campaign";
import { common } from "./common";
import { customer } from "./customer";
import { forms } from "./forms";
import { numbers } from "./numbers";
import { photos } from "./photos";
import { portfolio } from "./portfolio";
import { reminders } from "./reminders";
import { reach } from "./reach";
import { shell } from "./shell";
import { sync } from "./sync";
import { today } from "./today";

/** Every area of the phone app's messages; a screen's area file is added here once. */
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
  reminders,
  reach,
  photos,
] as const;

// A key missing from either language of an area fails `tsc` here, naming the key.
catalogues satisfies EveryArea<typeof catalogues>;

/** Every message key of every area: `t()` takes nothing else. */
export type MessageKey = KeysOfAreas<typeof catalogues>;
