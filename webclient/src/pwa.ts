/**
 * The service worker's registration. A new version installs in the background and
 * waits; the shell offers a reload, and only when the user agrees does the new worker
 * take over (a form half filled in is never lost to an update).
 */
import { Observable } from "./sync/engine";

export const update = new Observable<{ apply: (() => void) | null }>({ apply: null });

export function registerServiceWorker(): void {
  if (!import.meta.env.PROD || !("serviceWorker" in navigator)) return;
  let accepted = false;
  navigator.serviceWorker.addEventListener("controllerchange", () => {
    if (accepted) location.reload();
  });
  const offer = (worker: ServiceWorker) =>
    update.set({
      apply: () => {
        accepted = true;
        worker.postMessage({ type: "SKIP_WAITING" });
      },
    });
  addEventListener("load", async () => {
    const registration = await navigator.serviceWorker.register("/sw.js", { scope: "/" });
    if (registration.waiting && navigator.serviceWorker.controller) offer(registration.waiting);
    registration.addEventListener("updatefound", () => {
      const worker = registration.installing;
      worker?.addEventListener("statechange", () => {
        // The first install has no controller: nothing to replace, nothing to offer.
        if (worker.state === "installed" && navigator.serviceWorker.controller) offer(worker);
      });
    });
    // Phones keep the app open for days: look for a new version now and then.
    setInterval(() => void registration.update().catch(() => undefined), 60 * 60_000);
  });
}

/** After a 426 (the server needs a newer app): fetch the new version, then reload. */
export async function reloadForUpdate(): Promise<void> {
  const registration = await navigator.serviceWorker?.getRegistration();
  await registration?.update().catch(() => undefined);
  if (registration?.waiting) {
    update.get().apply?.();
    return;
  }
  location.reload();
}
