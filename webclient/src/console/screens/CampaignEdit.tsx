import type { ScreenProps } from "../screens";

export function CampaignNew(_props: ScreenProps) {
  return <h1>New</h1>;
}
