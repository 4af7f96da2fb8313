import type { ScreenProps } from "../screens";

export function Rebalance(_props: ScreenProps) {
  return <h1>Rebalance</h1>;
}
