import type { ScreenProps } from "./types";

export function Warning(_props: ScreenProps) {
  return <h1>Warning</h1>;
}
