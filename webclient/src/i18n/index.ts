/**
 * Both languages of the UI (zh-CN and English), chosen from the browser and switchable.
 *
 * Messages live in one file per area under ./messages (each `{ en, zh }`), so screens
 * add their strings next to each other's without touching a shared catalogue.
 * Dates, times, numbers and money are formatted with Intl for the current locale.
 */
import { useEffect, useState } from "preact/hooks";
import { catalogues } from "./messages";

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

let current: Locale = initialLocale();
const listeners = new Set<(locale: Locale) => void>();

export function locale(): Locale {
  return current;
}

export function setLocale(next: Locale): void {
  current = next;
  globalThis.localStorage?.setItem(STORAGE_KEY, next);
  if (globalThis.document) document.documentElement.lang = next;
  for (const listener of listeners) listener(next);
}

/** Re-render a component when the language changes; returns the current locale. */
export function useLocale(): Locale {
  const [value, setValue] = useState(current);
  useEffect(() => {
    listeners.add(setValue);
    return () => void listeners.delete(setValue);
  }, []);
  return value;
}

/** The message `key` in the current language, with `{name}` placeholders filled. */
export function t(key: string, params: Record<string, string | number> = {}): string {
  const template = byLocale[current][key] ?? byLocale.en[key] ?? key;
  return template.replace(/\{(\w+)\}/g, (_, name: string) => String(params[name] ?? `{${name}}`));
}

export function fmtDate(iso: string | null | undefined): string {
  if (!iso) return "";
  const date = new Date(iso.length === 10 ? `${iso}T00:00:00` : iso);
  return new Intl.DateTimeFormat(current, {
    year: "numeric",
    month: "short",
    day: "numeric",
  }).format(date);
}

export function fmtDateTime(iso: string | null | undefined): string {
  if (!iso) return "";
  return new Intl.DateTimeFormat(current, { dateStyle: "medium", timeStyle: "short" }).format(
    new Date(iso),
  );
}

export function fmtNumber(value: number): string {
  return new Intl.NumberFormat(current).format(value);
}

export function fmtMoney(value: number | string): string {
  return new Intl.NumberFormat(current, { style: "currency", currency: "CNY" }).format(
    Number(value),
  );
}
