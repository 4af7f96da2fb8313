import { useCallback, useEffect, useRef, useState } from "preact/hooks";

export type Resource<T> =
  | { state: "loading"; data: T | null; error: null; reload: () => void }
  | { state: "ready"; data: T; error: null; reload: () => void }
  | { state: "error"; data: T | null; error: unknown; reload: () => void };

/**
 * Data a screen reads from the API: loaded when `deps` change, reloaded on demand.
 * An answer that comes after the inputs changed again is dropped, so a slow answer for
 * the previous team never overwrites the current one. While it reloads the previous
 * data stays on screen (no flash of "loading" on every filter change).
 */
export function useResource<T>(load: () => Promise<T>, deps: unknown[]): Resource<T> {
  const [value, setValue] = useState<{
    state: "loading" | "ready" | "error";
    data: T | null;
    error: unknown;
  }>({
    state: "loading",
    data: null,
    error: null,
  });
  const [tick, setTick] = useState(0);
  const latest = useRef(0);

  useEffect(() => {
    const call = ++latest.current;
    setValue((v) => ({ state: "loading", data: v.data, error: null }));
    load().then(
      (data) => {
        if (call === latest.current) setValue({ state: "ready", data, error: null });
      },
      (error: unknown) => {
        if (call === latest.current) setValue((v) => ({ state: "error", data: v.data, error }));
      },
    );
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [...deps, tick]);

  const reload = useCallback(() => setTick((n) => n + 1), []);
  return { ...value, reload } as Resource<T>;
}
