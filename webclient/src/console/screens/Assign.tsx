import type { ScreenProps } from "../screens";

export function Assign(_props: ScreenProps) {
  return <h1>Assign</h1>;
}
