/**
 * The console's words: its own areas, plus the vocabulary it shares with the phone
 * (tiers, stages, indicator names), over the same locale and formatting (../i18n/core),
 * and review figures worded as on the phone (../figures).
 */
import { translator, type EveryArea, type KeysOfAreas } from "../i18n/core";
import { common } from "../i18n/messages/common";
import { numbers } from "../i18n/messages/numbers";
import { consoleAdmin } from "./messages/admin";
import { consoleAssign } from "./messages/assign";
import { consoleAudit } from "./messages/audit";
import { consoleChurn } from "./messages/churn";
import { consoleCampaigns } from "./messages/campaigns";
import { consoleDashboard } from "./messages/dashboard";
import { consolePrivacy } from "./messages/privacy";
import { consoleShell } from "./messages/shell";
import { consoleSyncFailed } from "./messages/syncFailed";

export {
  fmtDate,
  fmtDateTime,
  fmtFixed,
  fmtMoney,
  fmtNumber,
  locale,
  setLocale,
  useLocale,
} from "../i18n/core";
// Figures read as on the phone: one rule for a ratio, a score, a count and "no data".
// Through here, which the console's shell loads, ../figures joins the chunk both pages
// share at first load instead of a small chunk of its own.
export {
  fmtFigure,
  fmtScore,
  fmtValue,
  INDICATOR_CODES,
  indicatorName,
  noData,
  type FigureUnit,
} from "../figures";

const catalogues = [
  common,
  numbers,
  consoleShell,
  consoleDashboard,
  consoleAssign,
  consoleCampaigns,
  consoleAdmin,
  consoleAudit,
  consolePrivacy,
  consoleSyncFailed,
  consoleChurn,
] as const;

// A key missing from either language of an area fails `tsc` here, naming the key.
catalogues satisfies EveryArea<typeof catalogues>;

export type ConsoleKey = KeysOfAreas<typeof catalogues>;

const words = translator(catalogues);

/** The message `key` in the current language, with `{name}` placeholders filled. */
export const t = words.t;
/** Whether a key built from data (a reason code, a status) has a message. */
export const hasMessage = words.hasMessage;
