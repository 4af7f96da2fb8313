/**
 * Both languages of the phone app (zh-CN and English), chosen from the browser and
 * switchable. The machinery (locale, formatting) is in ./core, shared with the console.
 *
 * Messages live in one file per area under ./messages (each `{ en, zh }`), so screens
 * add their strings next to each other's without touching a shared catalogue.
 * Dates, times, numbers and money are formatted with Intl for the current locale.
 */
import { translator } from "./core";
import { catalogues, type MessageKey } from "./messages";

export type { MessageKey } from "./messages";
export {
  fmtDate,
  fmtDateTime,
  fmtFixed,
  fmtMoney,
  fmtNumber,
  locale,
  setLocale,
  useLocale,
  type Locale,
} from "./core";

const phone = translator(catalogues);

/** The message `key` in the current language, with `{name}` placeholders filled. */
export function t(key: MessageKey, params: Record<string, string | number> = {}): string {
  return phone.t(key, params);
}

/**
 * Whether `key` is a message (for keys built from data, e.g. a field name the server
 * sent); a key written in the code is checked by `t()`'s type instead.
 */
export function hasMessage(key: string): key is MessageKey {
  return phone.hasMessage(key);
}
