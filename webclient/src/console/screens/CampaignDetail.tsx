import type { ScreenProps } from "../screens";

export function CampaignDetail(_props: ScreenProps) {
  return <h1>CampaignDetail</h1>;
}
