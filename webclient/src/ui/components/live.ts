import { effect, untracked, type ReadonlySignal } from "@preact/signals";
import { liveQuery, type Subscription } from "dexie";

export interface LiveObserver<T> {
  next: (value: T) => void;
  error: (error: unknown) => void;
}

/**
 * Follow a data-layer query with Dexie's `liveQuery`: answer now, and again whenever the
 * rows it read change (here or in another tab). While `paused` is true the query is not
 * followed at all (no reads, no answers); when it turns false, it is read once more and
 * followed again. Today pauses while a full sync stores its pages (`SyncEngine.fullSync`):
 * reading the whole portfolio after each of a first sync's pages cost the phone about
 * 0.7 s, in reads that also held up the next page's write, for a screen only the last
 * page completes. Returns the function that stops following.
 */
export function followLive<T>(
  query: () => Promise<T>,
  observer: LiveObserver<T>,
  paused?: ReadonlySignal<boolean>,
): () => void {
  let subscription: Subscription | null = null;
  const stopWatching = effect(() => {
    if (paused?.value) {
      subscription?.unsubscribe();
      subscription = null;
    } else if (subscription === null) {
      // The query's own reads of signals (if any) are not this effect's business.
      subscription = untracked(() => liveQuery(query).subscribe(observer));
    }
  });
  return () => {
    stopWatching();
    subscription?.unsubscribe();
    subscription = null;
  };
}
