/**
 * Both languages of the UI (zh-CN and English), chosen from the browser and switchable.
 *
 * Messages live in one file per area under ./messages (each `{ en, zh }`), so screens
 * add their strings next to each other's without touching a shared catalogue.
 * Dates, times, numbers and money are formatted with Intl for the current locale.
 */
import { signal } from "@preact/signals";
import { catalogues, type MessageKey } from "./messages";

export type { MessageKey } from "./messages";

export type Locale = "zh-CN" | "en";
const STORAGE_KEY = "fieldbook.locale";

type Catalogue = Record<string, string>;
const byLocale: Record<Locale, Catalogue> = { "zh-CN": {}, en: {} };
for (const area of catalogues) {
  Object.assign(byLocale.en, area.en);
  Object.assign(byLocale["zh-CN"], area.zh);
}

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

/**
 * Whether `key` is a message (for keys built from data, e.g. a field name the server
 * sent); a key written in the code is checked by `t()`'s type instead.
 */
export function hasMessage(key: string): key is MessageKey {
  return Object.hasOwn(byLocale.en, key);
}

/** The message `key` in the current language, with `{name}` placeholders filled. */
export function t(key: MessageKey, params: Record<string, string | number> = {}): string {
  const template = byLocale[current.value][key] ?? byLocale.en[key] ?? key;
  return template.replace(/\{(\w+)\}/g, (_, name: string) => String(params[name] ?? `{${name}}`));
}

export function fmtDate(iso: string | null | undefined): string {
  if (!iso) return "";
  const date = new Date(iso.length === 10 ? `${iso}T00:00:00` : iso);
  return new Intl.DateTimeFormat(current.value, {
    year: "numeric",
    month: "short",
    day: "numeric",
  }).format(date);
}

export function fmtDateTime(iso: string | null | undefined): string {
  if (!iso) return "";
  return new Intl.DateTimeFormat(current.value, { dateStyle: "medium", timeStyle: "short" }).format(
    new Date(iso),
  );
}

export function fmtNumber(value: number): string {
  return new Intl.NumberFormat(current.value).format(value);
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
