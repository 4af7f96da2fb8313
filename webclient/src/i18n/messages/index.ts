import { common } from "./common";
import { customer } from "./customer";
import { forms } from "./forms";
import { portfolio } from "./portfolio";
import { shell } from "./shell";
import { sync } from "./sync";
import { today } from "./today";

/** Every area's messages; a screen's area file is added here once. */
export const catalogues: { en: Record<string, string>; zh: Record<string, string> }[] = [
  common,
  shell,
  today,
  sync,
  portfolio,
  customer,
  forms,
];
