import type { ScreenProps } from "../../screens";

export function Imports(_props: ScreenProps) {
  return <h1>Imports</h1>;
}
