import { liveQuery } from "dexie";
import { useEffect, useState } from "preact/hooks";

export interface Live<T> {
  /** False until the first answer. */
  ready: boolean;
  value: T | undefined;
}

/**
 * Follow a data-layer query: re-run when the rows it read change (here or in another
 * tab, e.g. after a sync), and when `deps` change. Answers of an older `deps` are ignored.
 */
export function useLive<T>(query: () => Promise<T>, deps: unknown[]): Live<T> {
  const [state, setState] = useState<Live<T>>({ ready: false, value: undefined });
  useEffect(() => {
    let current = true;
    const subscription = liveQuery(query).subscribe({
      next: (value) => current && setState({ ready: true, value }),
      error: (error: unknown) => {
        console.error(error);
        if (current) setState({ ready: true, value: undefined });
      },
    });
    return () => {
      current = false;
      subscription.unsubscribe();
    };
  }, deps);
  return state;
}
