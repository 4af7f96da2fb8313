import type { ScreenProps } from "../screens";

export function AtRisk(_props: ScreenProps) {
  return <h1>AtRisk</h1>;
}
