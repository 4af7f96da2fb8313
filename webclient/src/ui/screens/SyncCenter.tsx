import type { ScreenProps } from "./types";

export function SyncCenter(_props: ScreenProps) {
  return <h1>SyncCenter</h1>;
}
