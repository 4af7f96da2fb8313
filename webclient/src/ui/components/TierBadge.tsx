import { locale } from "../../i18n";

type Named = { code: string; name_zh: string; name_en: string };

/** A tier's own name in the current language (tiers are configuration, not code). */
export function tierName(tier: Named): string {
  return locale() === "zh-CN" ? tier.name_zh : tier.name_en;
}

/** A customer's value tier as a small badge. */
export function TierBadge({ tier }: { tier: Named | null }) {
  if (tier === null) return null;
  return <span class={`fb-tier fb-tier-${tier.code}`}>{tierName(tier)}</span>;
}
