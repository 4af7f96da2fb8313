import type { ScreenProps } from "./types";

export function Settings(_props: ScreenProps) {
  return <h1>Settings</h1>;
}
