import type { ScreenProps } from "./types";

export function LogComplaint(_props: ScreenProps) {
  return <h1>LogComplaint</h1>;
}
