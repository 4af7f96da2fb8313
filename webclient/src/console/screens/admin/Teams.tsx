import type { ScreenProps } from "../../screens";

export function Teams(_props: ScreenProps) {
  return <h1>Teams</h1>;
}
