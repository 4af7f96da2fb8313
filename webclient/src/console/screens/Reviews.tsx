import type { ScreenProps } from "../screens";

export function Reviews(_props: ScreenProps) {
  return <h1>Reviews</h1>;
}
