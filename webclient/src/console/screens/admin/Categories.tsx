import type { ScreenProps } from "../../screens";

export function Categories(_props: ScreenProps) {
  return <h1>Categories</h1>;
}
