import type { ScreenProps } from "./types";

export function Today(_props: ScreenProps) {
  return <h1>Today</h1>;
}
