import type { ScreenProps } from "./types";

export function Complaint(_props: ScreenProps) {
  return <h1>Complaint</h1>;
}
