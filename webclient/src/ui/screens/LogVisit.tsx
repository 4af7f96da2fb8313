import type { ScreenProps } from "./types";

export function LogVisit(_props: ScreenProps) {
  return <h1>LogVisit</h1>;
}
