import { useState } from "preact/hooks";
import type { Stage } from "../../db";
import { portfolioSize, searchCustomers, tierList, type CustomerSearch } from "../../data";
import { fmtNumber, t, useLocale } from "../../i18n";
import { TierBadge, tierName } from "../components/TierBadge";
import { useLive } from "../components/useLive";
import { href } from "../router";
import type { ScreenProps } from "./types";
import "../screens.css";

const STAGES: Stage[] = ["onboarding", "introduction", "maturity", "warning", "churned"];
/** Rows rendered at once: enough to scroll, few enough that typing stays instant. */
const PAGE = 100;

// Kept for the session, so coming back from a card finds the list as it was left.
let remembered = { q: "", tier: "", stage: "" as Stage | "" };

export function Portfolio(_props: ScreenProps) {
  useLocale();
  const [filters, setFilters] = useState(remembered);
  const [shown, setShown] = useState(PAGE);
  const update = (next: Partial<typeof filters>) => {
    remembered = { ...filters, ...next };
    setFilters(remembered);
    setShown(PAGE);
  };

  const tiers = useLive(tierList, []).value ?? [];
  const total = useLive(portfolioSize, []).value;
  const search: CustomerSearch = {
    ...(filters.q.trim() ? { q: filters.q.trim() } : {}),
    ...(filters.tier ? { tier: filters.tier } : {}),
    ...(filters.stage ? { stage: filters.stage } : {}),
  };
  const found = useLive(() => searchCustomers(search), [filters.q, filters.tier, filters.stage]);
  const rows = found.value ?? [];

  return (
    <section class="fb-screen" aria-labelledby="portfolio-title">
      <h1 id="portfolio-title">{t("portfolio.title")}</h1>
      <form class="fb-filters" role="search" onSubmit={(e) => e.preventDefault()}>
        <div class="fb-field">
          <label for="customer-search">{t("portfolio.search")}</label>
          <input
            id="customer-search"
            data-testid="customer-search"
            type="search"
            inputMode="search"
            autoComplete="off"
            placeholder={t("portfolio.searchHint")}
            value={filters.q}
            onInput={(e) => update({ q: e.currentTarget.value })}
          />
        </div>
        <div class="fb-filter-row">
          <div class="fb-field">
            <label for="filter-tier">{t("portfolio.tier")}</label>
            <select
              id="filter-tier"
              data-testid="filter-tier"
              value={filters.tier}
              onChange={(e) => update({ tier: e.currentTarget.value })}
            >
              <option value="">{t("portfolio.allTiers")}</option>
              {tiers.map((tier) => (
                <option key={tier.code} value={tier.code}>
                  {tierName(tier)}
                </option>
              ))}
            </select>
          </div>
          <div class="fb-field">
            <label for="filter-stage">{t("portfolio.stage")}</label>
            <select
              id="filter-stage"
              data-testid="filter-stage"
              value={filters.stage}
              onChange={(e) => update({ stage: e.currentTarget.value as Stage | "" })}
            >
              <option value="">{t("portfolio.allStages")}</option>
              {STAGES.map((stage) => (
                <option key={stage} value={stage}>
                  {t(`stage.${stage}`)}
                </option>
              ))}
            </select>
          </div>
        </div>
      </form>

      <p class="fb-count" role="status" aria-live="polite" data-testid="customer-count">
        {found.ready && total !== undefined
          ? rows.length === total
            ? t("portfolio.countAll", { count: fmtNumber(total) })
            : t("portfolio.countSome", { count: fmtNumber(rows.length), total: fmtNumber(total) })
          : t("portfolio.loading")}
      </p>

      {found.ready && rows.length === 0 && (
        <p class="fb-empty">{total === 0 ? t("portfolio.emptyDevice") : t("portfolio.none")}</p>
      )}

      <ul class="fb-list" aria-labelledby="portfolio-title">
        {rows.slice(0, shown).map((c) => (
          <li key={c.id}>
            <a
              class="fb-row"
              href={href("customer", { id: c.id })}
              data-testid="customer-row"
              data-id={c.id}
            >
              <span class="fb-row-head">
                <span class="fb-row-name">{c.name}</span>
                <TierBadge tier={c.tier} />
              </span>
              <span class="fb-meta">
                {t(`stage.${c.stage}`)}
                {c.kind === "organisation" ? ` · ${t("kind.organisation")}` : ""}
                {c.phone ? ` · ${c.phone}` : ""}
                {c.employer && c.employer !== c.name ? ` · ${c.employer}` : ""}
                {c.unsynced ? ` · ${t("card.notSynced")}` : ""}
              </span>
            </a>
          </li>
        ))}
      </ul>
      {rows.length > shown && (
        <button
          type="button"
          class="fb-button fb-secondary fb-wide"
          onClick={() => setShown(shown + PAGE)}
        >
          {t("portfolio.showMore", { count: fmtNumber(Math.min(PAGE, rows.length - shown)) })}
        </button>
      )}
    </section>
  );
}
