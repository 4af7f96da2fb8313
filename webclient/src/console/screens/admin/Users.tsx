import type { ScreenProps } from "../../screens";

export function Users(_props: ScreenProps) {
  return <h1>Users</h1>;
}
