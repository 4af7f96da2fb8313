/**
 * The service worker's registration, through vite-plugin-pwa's `registerSW` (prompt
 * mode). A new version installs in the background and waits; the shell offers a
 * reload, and only when the user agrees does the new worker take over (a form half
 * filled in is never lost to an update).
 */
import { signal } from "@preact/signals";
import { registerSW } from "virtual:pwa-register";

/** Set while a new version waits: calling it reloads into that version. */
export const updateReady = signal<(() => void) | null>(null);

/** Phones keep the app open for days: look for a new version now and then. */
const UPDATE_CHECK_MS = 60 * 60_000;

export function registerServiceWorker(): void {
  if (!import.meta.env.PROD) return;
  // Another tab may let a new version take over; this tab reloads only when its user asked.
  let accepted = false;
  const updateServiceWorker = registerSW({
    // The first install has no version to replace: this is called for updates only.
    onNeedRefresh: () => {
      updateReady.value = () => {
        accepted = true;
        void updateServiceWorker();
      };
    },
    onNeedReload: () => {
      if (accepted) location.reload();
    },
    onRegisteredSW: (_url, registration) => {
      if (!registration) return;
      setInterval(() => void registration.update().catch(() => undefined), UPDATE_CHECK_MS);
    },
  });
}

/** After a 426 (the server needs a newer app): fetch the new version, then reload. */
export async function reloadForUpdate(): Promise<void> {
  const registration = await navigator.serviceWorker?.getRegistration();
  await registration?.update().catch(() => undefined);
  if (registration?.waiting) {
    updateReady.value?.();
    return;
  }
  location.reload();
}
