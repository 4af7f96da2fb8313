import type { ScreenProps } from "../../screens";

export function Periods(_props: ScreenProps) {
  return <h1>Periods</h1>;
}
