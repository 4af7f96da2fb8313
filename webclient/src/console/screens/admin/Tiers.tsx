import type { ScreenProps } from "../../screens";

export function Tiers(_props: ScreenProps) {
  return <h1>Tiers</h1>;
}
