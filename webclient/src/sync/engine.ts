/**
 * When to sync: on start, when the network comes back, soon after a local change, on a
 * timer, and after a failure with exponential backoff. One tab of the browser syncs at
 * a time (Web Locks); the others see its work through the shared IndexedDB.
 */
import { signal, type ReadonlySignal, type Signal } from "@preact/signals";
import { liveQuery } from "dexie";
import { onLocalChange } from "../data/outbox";
import { syncState } from "../data/queries";
import { db } from "../db";
import { HttpSyncApi, SyncHttpError, type PhotoApi, type SyncApi } from "./api";
import { backoffDelay } from "./backoff";
import { isWipeRequired, wipeDevice } from "./session";
import { syncOnce } from "./syncOnce";

export type SyncProblem =
  /** 401: the session ended; everything is kept, sign in again. */
  | "signed_out"
  /** 426: this app is too old for the server; reload to update. */
  | "update_required"
  /** 403 device_mismatch: the device id is another user's. */
  | "device_mismatch"
  /** No network (or the request never got an answer). */
  | "offline"
  /** 5xx or an unexpected answer: retried with backoff. */
  | "server_error";

export interface SyncStatus {
  online: boolean;
  syncing: boolean;
  /** Changes not yet answered by the server. */
  pending: number;
  /** Rejected or conflicting results waiting for the user. */
  results: number;
  lastSyncAt: string | null;
  error: SyncProblem | null;
  message: string | null;
  /** During a full sync (first, or after a reset): the changes stored so far. */
  progress: { rowsApplied: number } | null;
  /** When the next automatic attempt is due (ms since epoch), if one is scheduled. */
  nextAttemptAt: number | null;
}

export interface Timers {
  set(fn: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

export interface SyncEngineOptions {
  api?: SyncApi;
  /** Where photos are sent; default `api` when it sends photos too (HttpSyncApi). */
  photoApi?: PhotoApi | null;
  /** Between successful syncs. */
  intervalMs?: number;
  /** After a local change, so a burst of edits goes in one push. */
  debounceMs?: number;
  random?: () => number;
  timers?: Timers;
  /** null: no Web Locks (run in this tab); default: navigator.locks when the browser has it. */
  locks?: LockManager | null;
  /** Where `online`/`offline` events come from; default: window when there is one. */
  events?: EventTarget | null;
  isOnline?: () => boolean;
  now?: () => number;
  /** Changes per pull page (tests; default the pull's own). */
  pullLimit?: number;
}

/** Problems a retry cannot fix: wait for the user (sign in, reload). */
const NEEDS_USER: ReadonlySet<SyncProblem> = new Set([
  "signed_out",
  "update_required",
  "device_mismatch",
]);

export function classify(err: unknown): { problem: SyncProblem; message: string } {
  if (err instanceof SyncHttpError) {
    if (err.status === 401) return { problem: "signed_out", message: err.message };
    if (err.status === 426) return { problem: "update_required", message: err.message };
    if (err.status === 403 && err.code === "device_mismatch")
      return { problem: "device_mismatch", message: err.message };
    return { problem: "server_error", message: err.message };
  }
  // fetch rejects with a TypeError when no answer came back.
  if (err instanceof TypeError) return { problem: "offline", message: err.message };
  return { problem: "server_error", message: err instanceof Error ? err.message : String(err) };
}

export const LOCK_NAME = "fieldbook-sync";

export type RunOutcome = "synced" | "failed" | "busy" | "offline";

export class SyncEngine {
  /** What the sync bar shows; a component that reads `status.value` re-renders on changes. */
  readonly status: ReadonlySignal<SyncStatus>;
  /**
   * True while a full sync (first, or after a reset) stores its pages: Today, which
   * reads the whole portfolio, waits for the end instead of reading it after every
   * page (each read also holds up the next page's write).
   */
  readonly fullSync: ReadonlySignal<boolean>;
  private readonly state: Signal<SyncStatus>;
  private readonly full = signal(false);
  private readonly api: SyncApi;
  private readonly photoApi: PhotoApi | null;
  private readonly intervalMs: number;
  private readonly debounceMs: number;
  private readonly random: () => number;
  private readonly timers: Timers;
  private readonly locks: LockManager | null;
  private readonly events: EventTarget | null;
  private readonly isOnline: () => boolean;
  private readonly now: () => number;
  private readonly pullLimit: number | undefined;
  private failures = 0;
  private timer: unknown = null;
  private running: Promise<RunOutcome> | null = null;
  private again = false;
  private stops: (() => void)[] = [];

  constructor(options: SyncEngineOptions = {}) {
    this.api = options.api ?? new HttpSyncApi();
    this.photoApi =
      options.photoApi !== undefined
        ? options.photoApi
        : "uploadPhoto" in this.api
          ? (this.api as SyncApi & PhotoApi)
          : null;
    this.intervalMs = options.intervalMs ?? 5 * 60_000;
    this.debounceMs = options.debounceMs ?? 1_000;
    this.random = options.random ?? Math.random;
    this.timers = options.timers ?? {
      set: (fn, ms) => setTimeout(fn, ms),
      clear: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
    };
    const nav = typeof navigator === "undefined" ? undefined : navigator;
    this.locks = options.locks === undefined ? (nav?.locks ?? null) : options.locks;
    this.events =
      options.events === undefined
        ? typeof window === "undefined"
          ? null
          : window
        : options.events;
    this.isOnline = options.isOnline ?? (() => nav?.onLine ?? true);
    this.now = options.now ?? Date.now;
    this.pullLimit = options.pullLimit;
    this.state = signal<SyncStatus>({
      online: this.isOnline(),
      syncing: false,
      pending: 0,
      results: 0,
      lastSyncAt: null,
      error: null,
      message: null,
      progress: null,
      nextAttemptAt: null,
    });
    this.status = this.state;
    this.fullSync = this.full;
  }

  private set(patch: Partial<SyncStatus>): void {
    const current = this.state.peek();
    // Nothing new (the counts watched after every stored page, mostly): no re-render.
    const keys = Object.keys(patch) as (keyof SyncStatus)[];
    if (keys.every((key) => Object.is(current[key], patch[key]))) return;
    this.state.value = { ...current, ...patch };
  }

  /** Start syncing in the background: now, on the network's return, after changes, on a timer. */
  start(): void {
    if (this.stops.length > 0) return;
    const online = () => {
      this.set({ online: true });
      void this.syncNow();
    };
    const offline = () => this.set({ online: false });
    this.events?.addEventListener("online", online);
    this.events?.addEventListener("offline", offline);
    this.stops.push(() => {
      this.events?.removeEventListener("online", online);
      this.events?.removeEventListener("offline", offline);
    });
    this.stops.push(onLocalChange(() => this.schedule(this.debounceMs)));
    // Counts and times from the shared database, whichever tab wrote them.
    const watched = liveQuery(syncState).subscribe({
      next: (state) =>
        this.set({
          pending: state.pending,
          results: state.results,
          lastSyncAt: state.lastSyncAt,
        }),
      error: () => undefined,
    });
    this.stops.push(() => watched.unsubscribe());
    void this.syncNow();
  }

  stop(): void {
    this.stops.forEach((stop) => stop());
    this.stops = [];
    this.cancelTimer();
  }

  /**
   * Sync now (a pull-to-refresh, a sign-in after `signed_out`). Joins a sync already
   * running in this tab, and runs once more after it so the latest changes go too.
   */
  syncNow(): Promise<RunOutcome> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.cancelTimer();
    this.running = this.runLocked().finally(() => {
      this.running = null;
      if (this.again) {
        this.again = false;
        void this.syncNow();
      }
    });
    return this.running;
  }

  private runLocked(): Promise<RunOutcome> {
    if (!this.isOnline()) {
      this.set({ online: false, error: "offline", message: null });
      return Promise.resolve("offline");
    }
    if (this.locks === null) return this.run();
    // Another tab holds the lock: it is syncing this same database; this tab just waits.
    return this.locks.request(LOCK_NAME, { ifAvailable: true }, (lock) =>
      lock === null ? this.busy() : this.run(),
    ) as Promise<RunOutcome>;
  }

  private busy(): RunOutcome {
    this.schedule(this.intervalMs);
    return "busy";
  }

  private async run(): Promise<RunOutcome> {
    this.set({ syncing: true, online: true });
    try {
      await syncOnce(this.api, {
        onProgress: (rowsApplied) => this.set({ progress: { rowsApplied } }),
        onFullSync: (running) => (this.full.value = running),
        ...(this.pullLimit === undefined ? {} : { limit: this.pullLimit }),
      });
    } catch (err) {
      // Signed out by an admin or deactivated: erase the device (the shell stops us).
      if (isWipeRequired(err)) await wipeDevice();
      const { problem, message } = classify(err);
      this.set({ syncing: false, progress: null, error: problem, message });
      if (!NEEDS_USER.has(problem)) this.schedule(backoffDelay(this.failures, this.random));
      this.failures += 1;
      await this.refreshCounts();
      return "failed";
    }
    this.failures = 0;
    await this.sendPhotos();
    this.set({ syncing: false, progress: null, error: null, message: null });
    await this.refreshCounts();
    this.schedule(this.intervalMs);
    return "synced";
  }

  /**
   * After the push and pull, the photos whose visits the server now has
   * (sync/photos.ts, its own chunk, loaded only when a photo waits). A failure there
   * is not the sync's: they are sent again at the next one.
   */
  private async sendPhotos(): Promise<void> {
    try {
      if (this.photoApi === null) return;
      if ((await db.photos.where("status").equals("waiting").count()) === 0) return;
      const { uploadWaitingPhotos } = await import("./photos");
      await uploadWaitingPhotos(this.photoApi);
    } catch (err) {
      console.warn("Photos not sent; tried again at the next sync", err);
    }
  }

  private async refreshCounts(): Promise<void> {
    const state = await syncState();
    this.set({
      pending: state.pending,
      results: state.results,
      lastSyncAt: state.lastSyncAt,
    });
  }

  /** The next automatic attempt in `ms`, replacing one due later. */
  private schedule(ms: number): void {
    const due = this.now() + ms;
    const current = this.state.peek().nextAttemptAt;
    if (this.timer !== null && current !== null && current <= due) return;
    this.cancelTimer();
    this.timer = this.timers.set(() => {
      this.timer = null;
      this.set({ nextAttemptAt: null });
      void this.syncNow();
    }, ms);
    this.set({ nextAttemptAt: due });
  }

  private cancelTimer(): void {
    if (this.timer !== null) this.timers.clear(this.timer);
    this.timer = null;
    if (this.state.peek().nextAttemptAt !== null) this.set({ nextAttemptAt: null });
  }
}
