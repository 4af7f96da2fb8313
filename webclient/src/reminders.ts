/**
 * Reminders without a push service: a local notification for each complaint whose
 * deadline falls within the next two hours and each customer whose birthday is today,
 * from the local copy in IndexedDB. The page looks when the app opens (and comes back
 * to the front, and after each sync); the service worker looks on a `periodicsync`
 * where the browser has it (Chromium, an installed app). Each thing is shown once:
 * `reminders_shown` keeps what was shown, and both look inside one transaction.
 *
 * Off until the manager turns them on in Settings, which is when the browser's
 * permission is asked (src/ui/reminders.ts). Words come from the reminders area of
 * the messages, read directly: the service worker has no `t()`.
 */
import { db, type Complaint, type Customer, type IsoDate, type ReminderSettings } from "./db";
import { reminders as words } from "./i18n/messages/reminders";
import { localDate } from "./time";

export const REMINDER_WINDOW_MS = 2 * 60 * 60_000;
/** The periodic background sync's tag (src/sw.ts). */
export const REMINDER_SYNC_TAG = "fieldbook-reminders";

export interface Reminder {
  /** What it is about, once: a complaint at its deadline, a customer on a day. */
  key: string;
  title: string;
  body: string;
  /** Where a tap on it leads (the app's hash route). */
  url: string;
}

type WordKey = keyof typeof words.en;

function word(locale: ReminderSettings["locale"], key: WordKey, params: Record<string, string>) {
  const template = (locale === "en" ? words.en : words.zh)[key];
  return template.replace(/\{(\w+)\}/g, (_, name: string) => params[name] ?? "");
}

function clock(locale: ReminderSettings["locale"], iso: string): string {
  return new Intl.DateTimeFormat(locale, { hour: "2-digit", minute: "2-digit" }).format(
    new Date(iso),
  );
}

/**
 * What to remind of at `now`: unresolved complaints due within two hours (not past
 * due: those are on Today already), and today's birthdays (lunar ones aside, as on
 * Today), worded in `locale`.
 */
export function findReminders(
  now: Date,
  complaints: Complaint[],
  customers: Customer[],
  locale: ReminderSettings["locale"],
): Reminder[] {
  const names = new Map(customers.map((c) => [c.id, c.name]));
  const found: Reminder[] = [];
  const start = now.getTime();
  for (const complaint of complaints) {
    if (complaint.status !== "received" && complaint.status !== "in_progress") continue;
    const due = Date.parse(complaint.deadline_at);
    if (due <= start || due > start + REMINDER_WINDOW_MS) continue;
    const params = {
      customer: names.get(complaint.customer_id) ?? "",
      time: clock(locale, complaint.deadline_at),
    };
    found.push({
      key: `complaint:${complaint.id}:${complaint.deadline_at}`,
      title: word(locale, "reminders.complaintTitle", params),
      body: word(locale, "reminders.complaintBody", params),
      url: `/#/complaints/${complaint.id}`,
    });
  }
  const day = localDate(now);
  for (const customer of customers) {
    if (customer.birthday_lunar || customer.birthday?.slice(5) !== day.slice(5)) continue;
    const params = { customer: customer.name };
    found.push({
      key: `birthday:${customer.id}:${day}`,
      title: word(locale, "reminders.birthdayTitle", params),
      body: word(locale, "reminders.birthdayBody", params),
      url: `/#/customers/${customer.id}`,
    });
  }
  return found;
}

export async function reminderSettings(): Promise<ReminderSettings | undefined> {
  return (await db.meta.get("reminders"))?.value as ReminderSettings | undefined;
}

export async function saveReminderSettings(settings: ReminderSettings): Promise<void> {
  await db.meta.put({ key: "reminders", value: settings });
}

/**
 * The reminders to show now that were not shown before, marked as shown in the same
 * transaction (a page and the service worker looking at once show each thing once).
 * None while reminders are off. `locale`: the page's language, kept for the worker.
 */
export async function takeDueReminders(
  now: Date,
  locale?: ReminderSettings["locale"],
): Promise<Reminder[]> {
  return db.transaction("rw", [db.meta, db.complaints, db.customers], async () => {
    const settings = await reminderSettings();
    if (!settings?.enabled) return [];
    if (locale && locale !== settings.locale) await saveReminderSettings({ ...settings, locale });
    const [complaints, customers, shownRow] = await Promise.all([
      db.complaints.where("status").anyOf("received", "in_progress").toArray(),
      db.customers.toArray(),
      db.meta.get("reminders_shown"),
    ]);
    const shown = (shownRow?.value ?? {}) as Record<string, IsoDate>;
    const fresh = findReminders(now, complaints, customers, locale ?? settings.locale).filter(
      (reminder) => shown[reminder.key] === undefined,
    );
    // Two days cover a deadline shown yesterday evening; older keys can go.
    const since = localDate(new Date(now.getTime() - 2 * 24 * 60 * 60_000));
    const kept = Object.fromEntries(Object.entries(shown).filter(([, day]) => day >= since));
    for (const reminder of fresh) kept[reminder.key] = localDate(now);
    await db.meta.put({ key: "reminders_shown", value: kept });
    return fresh;
  });
}
