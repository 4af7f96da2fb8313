export const consoleCampaigns = { en: {}, zh: {} };
