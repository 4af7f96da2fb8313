import type { ScreenProps } from "../screens";

export function Handover(_props: ScreenProps) {
  return <h1>Handover</h1>;
}
