import type { ScreenProps } from "../screens";

export function ManagerDetail(_props: ScreenProps) {
  return <h1>ManagerDetail</h1>;
}
