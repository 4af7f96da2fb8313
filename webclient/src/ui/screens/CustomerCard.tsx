import type { ScreenProps } from "./types";

export function CustomerCard(_props: ScreenProps) {
  return <h1>CustomerCard</h1>;
}
