/**
 * "Log the call": a `tel:` or `sms:` tap on a customer's card takes the manager to
 * the phone's dialer or messages; when they come back to the app, it offers to log
 * the contact with its channel filled in (CallbackPrompt). The tap is kept in
 * localStorage, so the offer survives the browser dropping the app meanwhile (it is
 * then made when the app opens again); nothing here needs the network.
 */
import { signal } from "@preact/signals";
import type { Uuid } from "../db";
import { match } from "./router";

export type TapChannel = "phone" | "sms";

export interface ContactTap {
  customer_id: Uuid;
  channel: TapChannel;
  /** When the link was tapped, epoch ms. */
  at: number;
  /** The app was left (hidden or blurred) since: coming back means the contact happened. */
  away: boolean;
}

const KEY = "fieldbook.contactTap";
/** A tap older than this is not offered: the call is long forgotten, or never happened. */
export const OFFER_FOR_MS = 2 * 3_600_000;

/** The contact offered for logging, or null. */
export const offer = signal<ContactTap | null>(null);

function stored(): ContactTap | null {
  try {
    const tap = JSON.parse(localStorage.getItem(KEY) ?? "null") as ContactTap | null;
    return tap && Date.now() - tap.at < OFFER_FOR_MS ? tap : null;
  } catch {
    return null;
  }
}

function store(tap: ContactTap | null): void {
  try {
    if (tap) localStorage.setItem(KEY, JSON.stringify(tap));
    else localStorage.removeItem(KEY);
  } catch {
    // Storage refused (private mode, full): the offer only lives in this page.
  }
}

/** Forget the tap: logged, or dismissed. */
export function settleTap(): void {
  store(null);
  offer.value = null;
}

/** What a tap on `link` means, when it is a call or message link on a customer's card. */
export function tapOf(link: Element, hash: string, at: number): ContactTap | null {
  const url = link.getAttribute("href") ?? "";
  const channel = url.startsWith("tel:") ? "phone" : url.startsWith("sms:") ? "sms" : null;
  const route = match(hash);
  if (channel === null || route.name !== "customer" || !route.params.id) return null;
  return { customer_id: route.params.id, channel, at, away: false };
}

/**
 * Follow taps and the app's comings and goings; returns the function that stops.
 * A tap left from an earlier page (the browser dropped the app during the call) is
 * offered at once.
 */
export function watchContactTaps(): () => void {
  const left = stored();
  if (left) offer.value = { ...left, away: true };

  const onClick = (event: MouseEvent) => {
    const link = (event.target as Element | null)?.closest?.("a[href]");
    const tap = link ? tapOf(link, location.hash, Date.now()) : null;
    if (tap) store(tap);
  };
  const onLeave = () => {
    const tap = stored();
    if (tap && !tap.away) store({ ...tap, away: true });
  };
  const onReturn = () => {
    const tap = stored();
    if (tap?.away) offer.value = tap;
  };
  const onVisibility = () => (document.visibilityState === "hidden" ? onLeave() : onReturn());
  document.addEventListener("click", onClick, true);
  document.addEventListener("visibilitychange", onVisibility);
  addEventListener("blur", onLeave);
  addEventListener("focus", onReturn);
  return () => {
    document.removeEventListener("click", onClick, true);
    document.removeEventListener("visibilitychange", onVisibility);
    removeEventListener("blur", onLeave);
    removeEventListener("focus", onReturn);
  };
}
