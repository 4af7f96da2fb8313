/**
 * The language machinery both apps share (the phone's and the console's): the current
 * locale as a signal, typed translators over a list of catalogues, and Intl formatting.
 *
 * Each app builds its own `t()` from the catalogues it needs (`translator`), so the
 * console's words never ride in the phone's bundle and the phone's never in the
 * console's; the vocabulary both use (tiers, stages, indicators) is shared.
 */
import { signal } from "@preact/signals";

export type Locale = "zh-CN" | "en";
const STORAGE_KEY = "fieldbook.locale";

function initialLocale(): Locale {
  const saved = globalThis.localStorage?.getItem(STORAGE_KEY);
  if (saved === "en" || saved === "zh-CN") return saved;
  const preferred = globalThis.navigator?.languages ?? [globalThis.navigator?.language ?? "zh-CN"];
  for (const tag of preferred) {
    if (tag.toLowerCase().startsWith("zh")) return "zh-CN";
    if (tag.toLowerCase().startsWith("en")) return "en";
  }
  return "zh-CN";
}

/** The UI's language: a component that reads it (`t()`, `locale()`) re-renders when it changes. */
const current = signal<Locale>(initialLocale());

export function locale(): Locale {
  return current.value;
}

export function setLocale(next: Locale): void {
  globalThis.localStorage?.setItem(STORAGE_KEY, next);
  if (globalThis.document) document.documentElement.lang = next;
  current.value = next;
}

/** Re-render a component when the language changes; returns the current locale. */
export function useLocale(): Locale {
  return current.value;
}

/** One area's messages: its English and Chinese catalogues. */
export interface Area {
  en: Record<string, string>;
  zh: Record<string, string>;
}

/** An area as it must be: its English and Chinese catalogues have the same keys. */
type SameKeys<A> = A extends { en: infer En; zh: infer Zh }
  ? { en: Record<keyof Zh, string>; zh: Record<keyof En, string> }
  : never;
/** Every area of a list as it must be (`catalogues satisfies EveryArea<typeof catalogues>`). */
export type EveryArea<Areas> = { [I in keyof Areas]: SameKeys<Areas[I]> };

type KeysOf<T> = T extends unknown ? keyof T : never;
/** Every message key of a list of areas. */
export type KeysOfAreas<Areas extends readonly Area[]> = KeysOf<Areas[number]["en"]> & string;

export interface Translator<Key extends string> {
  /** The message `key` in the current language, with `{name}` placeholders filled. */
  t(key: Key, params?: Record<string, string | number>): string;
  /**
   * Whether `key` is a message (for keys built from data, e.g. a field name the server
   * sent); a key written in the code is checked by `t()`'s type instead.
   */
  hasMessage(key: string): key is Key;
}

/** A `t()` over these catalogues only: a key outside them fails `tsc`. */
export function translator<const Areas extends readonly Area[]>(
  catalogues: Areas,
): Translator<KeysOfAreas<Areas>> {
  const byLocale: Record<Locale, Record<string, string>> = { "zh-CN": {}, en: {} };
  for (const area of catalogues) {
    Object.assign(byLocale.en, area.en);
    Object.assign(byLocale["zh-CN"], area.zh);
  }
  return {
    t(key, params = {}) {
      const template = byLocale[current.value][key] ?? byLocale.en[key] ?? key;
      return template.replace(/\{(\w+)\}/g, (_, name: string) =>
        String(params[name] ?? `{${name}}`),
      );
    },
    hasMessage(key: string): key is KeysOfAreas<Areas> {
      return Object.hasOwn(byLocale.en, key);
    },
  };
}

/**
 * One formatter per locale and style, made once: making an Intl.DateTimeFormat costs
 * far more than formatting with it, and Today formats a few dates per item of a
 * several-hundred-item agenda each time a sync stores a page.
 */
const dateFormats = new Map<string, Intl.DateTimeFormat>();

function dateFormat(style: "date" | "dateTime"): Intl.DateTimeFormat {
  const key = `${current.value}|${style}`;
  let format = dateFormats.get(key);
  if (!format) {
    format = new Intl.DateTimeFormat(
      current.value,
      style === "date"
        ? { year: "numeric", month: "short", day: "numeric" }
        : { dateStyle: "medium", timeStyle: "short" },
    );
    dateFormats.set(key, format);
  }
  return format;
}

export function fmtDate(iso: string | null | undefined): string {
  if (!iso) return "";
  return dateFormat("date").format(new Date(iso.length === 10 ? `${iso}T00:00:00` : iso));
}

export function fmtDateTime(iso: string | null | undefined): string {
  if (!iso) return "";
  return dateFormat("dateTime").format(new Date(iso));
}

const numberFormats = new Map<string, Intl.NumberFormat>();

export function fmtNumber(value: number): string {
  let format = numberFormats.get(current.value);
  if (!format) {
    // Made once per locale, as the date formats: the sync bar counts every stored page.
    format = new Intl.NumberFormat(current.value);
    numberFormats.set(current.value, format);
  }
  return format.format(value);
}

/** A number with exactly `digits` decimals: 48.5, 4.00. */
export function fmtFixed(value: number, digits: number): string {
  return new Intl.NumberFormat(current.value, {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  }).format(value);
}

export function fmtMoney(value: number | string): string {
  return new Intl.NumberFormat(current.value, { style: "currency", currency: "CNY" }).format(
    Number(value),
  );
}
