import { useSignal, type ReadonlySignal } from "@preact/signals";
import { useEffect } from "preact/hooks";
import { followLive } from "./live";

export interface Live<T> {
  /** False until the first answer. */
  ready: boolean;
  value: T | undefined;
}

/**
 * Follow a data-layer query: re-run when the rows it read change (here or in another
 * tab, e.g. after a sync), and when `deps` change. Answers of an older `deps` are ignored.
 * While `paused` is true the query is not re-run and the last answer stays (see
 * `followLive`).
 *
 * Dexie's `liveQuery` feeds a signal, read here: the component re-renders the way it
 * does for the app's other state (session, sync status, language), which are signals too.
 */
export function useLive<T>(
  query: () => Promise<T>,
  deps: unknown[],
  paused?: ReadonlySignal<boolean>,
): Live<T> {
  const live = useSignal<Live<T>>({ ready: false, value: undefined });
  useEffect(() => {
    let current = true;
    const stop = followLive(
      query,
      {
        next: (value) => {
          if (current) live.value = { ready: true, value };
        },
        error: (error: unknown) => {
          console.error(error);
          if (current) live.value = { ready: true, value: undefined };
        },
      },
      paused,
    );
    return () => {
      current = false;
      stop();
    };
  }, [...deps, paused]);
  return live.value;
}
