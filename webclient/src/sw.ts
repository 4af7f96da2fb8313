/**
 * The service worker: the app shell from the precache, so the app opens offline, and
 * the reminders of a periodic background sync (src/reminders.ts).
 *
 * API responses are never cached: no route handles /api/, so those requests go to the
 * network as if there were no worker (the data lives in IndexedDB, kept by the sync
 * engine). A new version waits until the user agrees to reload (see src/pwa.ts).
 */
/// <reference lib="webworker" />
import {
  cleanupOutdatedCaches,
  createHandlerBoundToURL,
  precacheAndRoute,
} from "workbox-precaching";
import { NavigationRoute, registerRoute } from "workbox-routing";
import { REMINDER_SYNC_TAG, takeDueReminders } from "./reminders";

declare const self: ServiceWorkerGlobalScope & {
  __WB_MANIFEST: (string | { url: string; revision: string | null })[];
};

/** Chromium's periodic background sync (not in TypeScript's lib yet). */
interface PeriodicSyncEvent extends ExtendableEvent {
  tag: string;
}

precacheAndRoute(self.__WB_MANIFEST);
cleanupOutdatedCaches();

// Any page address opens the app; /api/ must reach the server (and fail there) instead,
// and the console (/console, online only, not precached) is the server's to answer.
registerRoute(
  new NavigationRoute(createHandlerBoundToURL("/index.html"), {
    denylist: [/^\/api\//, /^\/console(\/|$)/],
  }),
);

self.addEventListener("message", (event: ExtendableMessageEvent) => {
  if ((event.data as { type?: string } | null)?.type === "SKIP_WAITING") void self.skipWaiting();
});

// Reminders while the app is closed, where the browser wakes the worker now and then.
self.addEventListener("periodicsync", (event) => {
  const periodic = event as PeriodicSyncEvent;
  if (periodic.tag !== REMINDER_SYNC_TAG) return;
  periodic.waitUntil(
    takeDueReminders(new Date())
      .then((due) =>
        Promise.all(
          due.map((r) =>
            self.registration.showNotification(r.title, { body: r.body, tag: r.key, data: r.url }),
          ),
        ),
      )
      // No copy yet, or one of a newer schema than this worker knows: nothing to show.
      .catch(() => undefined),
  );
});

// A tap on a reminder opens the app where it points: an open window if there is one.
self.addEventListener("notificationclick", (event: NotificationEvent) => {
  event.notification.close();
  const url = typeof event.notification.data === "string" ? event.notification.data : "/";
  event.waitUntil(
    self.clients.matchAll({ type: "window", includeUncontrolled: true }).then((windows) => {
      const open = windows[0];
      if (open) return open.navigate(url).then((client) => client?.focus());
      return self.clients.openWindow(url);
    }),
  );
});
