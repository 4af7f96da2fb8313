import type { ScreenProps } from "../screens";

export function Campaigns(_props: ScreenProps) {
  return <h1>Campaigns</h1>;
}
