import { api } from "../api";
import { fmtDate, t } from "../i18n";
import { choiceValue, lastCompleteMonth, thisMonth, type PeriodChoice } from "../lib/period";
import { setQuery } from "../router";
import { localDate } from "../../time";
import type { ReviewPeriod, SessionUser, TeamSummary } from "../types";
import { useResource } from "./resource";
import { Select } from "./forms";

/** The teams an admin may pick from (a lead only ever sees their own). */
export function useTeams(user: SessionUser) {
  return useResource<TeamSummary[]>(
    () => (user.role === "admin" ? api.teams() : Promise.resolve([])),
    [user.id],
  );
}

/**
 * Which team a screen shows: a lead's own team, or the admin's pick ("" = all teams,
 * where the screen allows it). A lead gets no control at all.
 */
export function TeamPicker({
  user,
  value,
  onValue,
  allowAll = true,
}: {
  user: SessionUser;
  value: string;
  onValue: (teamId: string) => void;
  allowAll?: boolean;
}) {
  const teams = useTeams(user);
  if (user.role !== "admin") {
    return (
      <p class="cn-context">
        <span class="cn-muted">{t("console.team")}:</span> {user.team?.name ?? t("console.none")}
      </p>
    );
  }
  const options = [
    ...(allowAll ? [{ value: "", label: t("console.allTeams") }] : []),
    ...(!allowAll && !value ? [{ value: "", label: t("console.unpicked") }] : []),
    ...(teams.data ?? []).map((team) => ({ value: team.id, label: team.name })),
  ];
  return (
    <Select
      label={t("console.team")}
      name="team"
      value={value}
      options={options}
      onValue={onValue}
      testid="team-picker"
    />
  );
}

export function rangeText(from: string, to: string): string {
  return t("console.range", { from: fmtDate(from), to: fmtDate(to) });
}

/** Configured review periods first, then last month and this month so far. */
export function PeriodPicker({
  periods,
  value,
  onValue,
}: {
  periods: ReviewPeriod[];
  value: PeriodChoice;
  onValue: (value: string) => void;
}) {
  const today = localDate(new Date());
  const last = lastCompleteMonth(today);
  const current = thisMonth(today);
  const options = [
    {
      value: "last_month",
      label: t("console.period.lastMonth", { range: rangeText(last.starts_on, last.ends_on) }),
    },
    {
      value: "this_month",
      label: t("console.period.thisMonth", {
        range: rangeText(current.starts_on, current.ends_on),
      }),
    },
    ...periods.map((p) => ({
      value: p.id,
      label: `${p.name} (${rangeText(p.starts_on, p.ends_on)})`,
    })),
  ];
  return (
    <Select
      label={t("console.period")}
      name="period"
      value={choiceValue(value)}
      options={options}
      onValue={onValue}
      testid="period-picker"
    />
  );
}

/** The team and the period a review is about, kept in the address (the dashboard, reviews). */
export function ReviewPickers({
  user,
  teamId,
  period,
}: {
  user: SessionUser;
  teamId: string;
  period: PeriodChoice;
}) {
  const periods = useResource(() => api.periods(), []);
  return (
    <div class="cn-toolbar">
      <TeamPicker user={user} value={teamId} onValue={(team) => setQuery({ team })} />
      <PeriodPicker
        periods={periods.data ?? []}
        value={period}
        onValue={(choice) => setQuery({ period: choice })}
      />
    </div>
  );
}
