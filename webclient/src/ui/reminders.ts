/**
 * The page's side of the reminders (src/reminders.ts): turning them on (the browser's
 * permission is asked then, never before), off, and looking for due ones when the app
 * opens or comes back to the front.
 */
import { locale } from "../i18n";
import { REMINDER_SYNC_TAG, saveReminderSettings, takeDueReminders } from "../reminders";
import { now } from "../time";

export type ReminderSwitch = "on" | "blocked" | "unsupported";

/** Chromium's periodic background sync on a registration (not in TypeScript's lib yet). */
interface PeriodicSync {
  register(tag: string, options: { minInterval: number }): Promise<void>;
  unregister(tag: string): Promise<void>;
}

function supported(): boolean {
  return typeof Notification !== "undefined";
}

async function registration(): Promise<ServiceWorkerRegistration | undefined> {
  return (await navigator.serviceWorker?.getRegistration()) ?? undefined;
}

function periodicSync(reg: ServiceWorkerRegistration | undefined): PeriodicSync | undefined {
  return (reg as (ServiceWorkerRegistration & { periodicSync?: PeriodicSync }) | undefined)
    ?.periodicSync;
}

/** Ask the browser's permission, and if given, turn reminders on. */
export async function turnRemindersOn(): Promise<ReminderSwitch> {
  if (!supported()) return "unsupported";
  const permission = await Notification.requestPermission();
  if (permission !== "granted") return "blocked";
  await saveReminderSettings({ enabled: true, locale: locale() });
  // Where the browser offers it (an installed app in Chromium): look hourly in the background.
  await periodicSync(await registration())
    ?.register(REMINDER_SYNC_TAG, { minInterval: 60 * 60_000 })
    .catch(() => undefined);
  await checkReminders();
  return "on";
}

export async function turnRemindersOff(): Promise<void> {
  await saveReminderSettings({ enabled: false, locale: locale() });
  await periodicSync(await registration())
    ?.unregister(REMINDER_SYNC_TAG)
    .catch(() => undefined);
}

/** Show the reminders due now that were not shown yet (none while they are off). */
export async function checkReminders(): Promise<void> {
  if (!supported() || Notification.permission !== "granted") return;
  const due = await takeDueReminders(now(), locale());
  if (due.length === 0) return;
  const reg = await registration();
  for (const reminder of due) {
    const options = { body: reminder.body, tag: reminder.key, data: reminder.url };
    if (reg) await reg.showNotification(reminder.title, options);
    else new Notification(reminder.title, options);
  }
}
