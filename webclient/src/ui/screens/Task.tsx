import type { ScreenProps } from "./types";

export function Task(_props: ScreenProps) {
  return <h1>Task</h1>;
}
