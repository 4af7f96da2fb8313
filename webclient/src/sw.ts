/**
 * The service worker: the app shell from the precache, so the app opens offline.
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

declare const self: ServiceWorkerGlobalScope & {
  __WB_MANIFEST: (string | { url: string; revision: string | null })[];
};

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
