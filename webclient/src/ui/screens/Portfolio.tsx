import { useEffect, useMemo, useState } from "preact/hooks";
import type { Stage } from "../../db";
import {
  findCustomers,
  loadPortfolio,
  PORTFOLIO_SORTS,
  portfolioSize,
  tierList,
  withoutPlace,
  type CustomerSearch,
  type PortfolioRow,
  type PortfolioSort,
  type Position,
} from "../../data";
import { fmtDate, fmtMoney, fmtNumber, t, useLocale } from "../../i18n";
import { now } from "../../time";
import { TierBadge, tierName } from "../components/TierBadge";
import { useLive } from "../components/useLive";
import { LIST_ORDER, locate, type LocationProblem } from "../geo";
import { href } from "../router";
import type { ScreenProps } from "./types";
import "../screens.css";

const STAGES: Stage[] = ["onboarding", "introduction", "maturity", "warning", "churned"];
/** Rows rendered at once: enough to scroll, few enough that typing stays instant. */
const PAGE = 100;
const MAX_DAYS = 3650;

interface Filters {
  q: string;
  tier: string;
  stage: Stage | "";
  sort: PortfolioSort;
  /** As typed: a whole number of days, or "" for no such filter. */
  days: string;
}

// Kept for the session, so coming back from a card finds the list as it was left.
let remembered: Filters = { q: "", tier: "", stage: "", sort: "name", days: "" };
let rememberedPlace: Position | null = null;

/** Why "near me" has no position: refused (allow it in the site settings), none found, no API. */
type NoFix = "denied" | "unavailable" | "unsupported";
type Place = { state: "idle" | "locating" } | { state: "found"; at: Position } | { state: NoFix };

function noFix(problem: LocationProblem): NoFix {
  return problem === "timeout" ? "unavailable" : problem;
}

function days(text: string): number | undefined {
  const n = Number(text);
  return text.trim() !== "" && Number.isInteger(n) && n >= 1 && n <= MAX_DAYS ? n : undefined;
}

export function Portfolio(_props: ScreenProps) {
  useLocale();
  const [filters, setFilters] = useState(remembered);
  const [shown, setShown] = useState(PAGE);
  const [place, setPlace] = useState<Place>(
    rememberedPlace ? { state: "found", at: rememberedPlace } : { state: "idle" },
  );
  const update = (next: Partial<Filters>) => {
    remembered = { ...filters, ...next };
    setFilters(remembered);
    setShown(PAGE);
  };

  const nearMe = filters.sort === "distance";
  useEffect(() => {
    if (!nearMe || place.state !== "idle") return;
    setPlace({ state: "locating" });
    void locate(15_000, undefined, LIST_ORDER).then(({ fix, problem }) => {
      if (fix === null) return setPlace({ state: noFix(problem) });
      rememberedPlace = { latitude: fix.latitude, longitude: fix.longitude };
      setPlace({ state: "found", at: rememberedPlace });
    });
  }, [nearMe, place.state]);

  const notContacted = days(filters.days);
  const needs = {
    lastContact: notContacted !== undefined || filters.sort === "last_contact",
    spend: filters.sort === "spend",
  };
  const tiers = useLive(tierList, []).value ?? [];
  const total = useLive(portfolioSize, []).value;
  // The rows are read when they change; each keystroke only searches them (data/portfolio.ts).
  const index = useLive(() => loadPortfolio(needs), [needs.lastContact, needs.spend]);
  const search: CustomerSearch = {
    ...(filters.q.trim() ? { q: filters.q.trim() } : {}),
    ...(filters.tier ? { tier: filters.tier } : {}),
    ...(filters.stage ? { stage: filters.stage } : {}),
    ...(notContacted !== undefined ? { notContactedDays: notContacted } : {}),
    sort: filters.sort,
    ...(place.state === "found" ? { near: place.at } : {}),
  };
  const rows = useMemo(
    () => (index.value ? findCustomers(index.value, search, now()) : []),
    [index.value, JSON.stringify(search)],
  );
  const ready = index.ready && (!nearMe || place.state === "found");
  const daysInvalid = filters.days.trim() !== "" && notContacted === undefined;

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
        <div class="fb-filter-row">
          <div class="fb-field">
            <label for="portfolio-sort">{t("portfolio.sort")}</label>
            <select
              id="portfolio-sort"
              data-testid="portfolio-sort"
              value={filters.sort}
              onChange={(e) => {
                const sort = e.currentTarget.value as PortfolioSort;
                // Each choice of "near me" asks where the phone is now (the manager
                // moves); coming back from a card keeps the list as it was.
                if (sort === "distance") setPlace({ state: "idle" });
                update({ sort });
              }}
            >
              {PORTFOLIO_SORTS.map((sort) => (
                <option key={sort} value={sort}>
                  {t(`portfolio.sortBy.${sort}`)}
                </option>
              ))}
            </select>
          </div>
          <div class="fb-field">
            <label for="not-contacted">{t("portfolio.notContacted")}</label>
            <input
              id="not-contacted"
              data-testid="not-contacted"
              type="number"
              inputMode="numeric"
              min={1}
              max={MAX_DAYS}
              step={1}
              placeholder={t("portfolio.notContactedHint")}
              value={filters.days}
              aria-invalid={daysInvalid}
              aria-describedby={daysInvalid ? "not-contacted-error" : undefined}
              onInput={(e) => update({ days: e.currentTarget.value })}
            />
          </div>
        </div>
        {daysInvalid && (
          <p id="not-contacted-error" class="fb-error" role="alert">
            {t("portfolio.daysInvalid", { max: fmtNumber(MAX_DAYS) })}
          </p>
        )}
      </form>

      {nearMe && <NearMeStatus place={place} index={index.value} />}

      <p class="fb-count" role="status" aria-live="polite" data-testid="customer-count">
        {ready && total !== undefined
          ? rows.length === total
            ? t("portfolio.countAll", { count: fmtNumber(total) })
            : t("portfolio.countSome", { count: fmtNumber(rows.length), total: fmtNumber(total) })
          : nearMe && place.state !== "locating"
            ? ""
            : t("portfolio.loading")}
      </p>

      {ready && rows.length === 0 && (
        <p class="fb-empty">{total === 0 ? t("portfolio.emptyDevice") : t("portfolio.none")}</p>
      )}

      <ul class="fb-list" aria-labelledby="portfolio-title">
        {(ready ? rows : []).slice(0, shown).map((c) => (
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
              <RowDetail row={c} filters={filters} notContacted={notContacted} />
            </a>
          </li>
        ))}
      </ul>
      {ready && rows.length > shown && (
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

function NearMeStatus({
  place,
  index,
}: {
  place: Place;
  index: Parameters<typeof withoutPlace>[0] | undefined;
}) {
  if (place.state === "idle" || place.state === "locating")
    return <p class="fb-hint">{t("portfolio.locating")}</p>;
  if (place.state !== "found")
    return (
      <p class="fb-notice fb-notice-warn" role="alert" data-testid="near-me-error">
        {t(`portfolio.noPlace.${place.state}`)}
      </p>
    );
  const missing = index ? withoutPlace(index) : 0;
  return missing > 0 ? (
    <p class="fb-hint" data-testid="near-me-missing">
      {t("portfolio.withoutPlace", { count: fmtNumber(missing) })}
    </p>
  ) : null;
}

/** What the chosen sort or filter is about, under the row. */
function RowDetail({
  row,
  filters,
  notContacted,
}: {
  row: PortfolioRow;
  filters: Filters;
  notContacted: number | undefined;
}) {
  const parts: string[] = [];
  if (row.matched_contact) parts.push(t("portfolio.viaContact", { name: row.matched_contact }));
  if (filters.sort === "distance" && row.distance_m !== null) parts.push(distance(row.distance_m));
  if (filters.sort === "last_contact" || notContacted !== undefined)
    parts.push(
      row.last_contact_at
        ? t("portfolio.lastContact", { date: fmtDate(row.last_contact_at) })
        : t("portfolio.neverContacted"),
    );
  if (filters.sort === "spend")
    parts.push(row.spend === null ? t("portfolio.noSpend") : fmtMoney(row.spend));
  if (filters.sort === "contract_end" && row.contract_end_date)
    parts.push(t("portfolio.contractEnds", { date: fmtDate(row.contract_end_date) }));
  if (parts.length === 0) return null;
  return (
    <span class="fb-meta" data-testid="row-detail">
      {parts.join(" · ")}
    </span>
  );
}

function distance(m: number): string {
  return m < 1000
    ? t("portfolio.metres", { n: fmtNumber(m) })
    : t("portfolio.kilometres", { n: fmtNumber(Math.round(m / 100) / 10) });
}
