import type { ScreenProps } from "./types";

export function Portfolio(_props: ScreenProps) {
  return <h1>Portfolio</h1>;
}
