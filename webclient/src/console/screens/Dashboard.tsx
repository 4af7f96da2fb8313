import { useMemo, useState } from "preact/hooks";
import { api } from "../api";
import type { ChartOption } from "../charts/echarts";
import {
  fmtDateTime,
  fmtFigure,
  fmtFixed,
  fmtNumber,
  fmtScore,
  indicatorName,
  locale,
  noData,
  t,
} from "../i18n";
import { parseChoice, periodQuery } from "../lib/period";
import { filterRows, load, nextSort, sortRows, type SortState } from "../lib/table";
import { href } from "../router";
import type { ScreenProps } from "../screens";
import type { AtRisk, ManagerReview, Member, Review, SessionUser, TeamDetail } from "../types";
import { CapacityBar } from "../ui/Capacity";
import { Chart } from "../ui/Chart";
import { Check, TextInput } from "../ui/forms";
import { ReviewPickers } from "../ui/Pickers";
import { useResource } from "../ui/resource";
import { Async, errorText } from "../ui/States";
import { SortHeader, TableBox } from "../ui/Table";
import { localDate } from "../../time";

/** The indicators the managers' table shows, besides the score. */
const COLUMNS = [
  "routine_care",
  "greetings_on_time",
  "offer_participation",
  "retention_contract_rate",
  "value_retained",
  "satisfaction",
  "contact_coverage",
  "complaints_on_time",
  "open_warnings",
  "overdue_tasks",
] as const;

type Column = "manager" | "score" | "rank" | "portfolio" | (typeof COLUMNS)[number];

/** The team a screen is about: a lead's own (unless the address asks for another), an admin's pick. */
export function teamOf(user: SessionUser, query: URLSearchParams): string {
  return query.get("team") ?? (user.role === "lead" ? (user.team?.id ?? "") : "");
}

/** Managers of the teams shown (a lead's team, the admin's pick, or every team). */
export async function teamDetails(teamId: string): Promise<TeamDetail[]> {
  if (teamId) return [await api.team(teamId)];
  const teams = await api.teams();
  return Promise.all(teams.map((team) => api.team(team.id)));
}

export function managersOf(teams: TeamDetail[]): Member[] {
  return teams.flatMap((team) => team.members.filter((m) => m.role === "manager"));
}

interface DashboardData {
  review: Review;
  teams: TeamDetail[];
}

export function Dashboard({ route, user }: ScreenProps) {
  const teamId = teamOf(user, route.query);
  const choice = parseChoice(route.query.get("period"));
  const today = localDate(new Date());
  const data = useResource<DashboardData>(async () => {
    const [review, teams] = await Promise.all([
      api.review({ ...periodQuery(choice, today), team_id: teamId || undefined }),
      teamDetails(teamId),
    ]);
    return { review, teams };
  }, [teamId, route.query.get("period")]);
  const trend = useResource(() => api.trend({ team_id: teamId || undefined, months: 6 }), [teamId]);
  // NEW endpoint: the dashboard stands without it.
  const risk = useResource(() => api.atRisk(teamId || undefined), [teamId]);

  return (
    <section data-testid="dashboard">
      <h1>{t("dash.title")}</h1>
      <ReviewPickers user={user} teamId={teamId} period={choice} />
      <Async resource={data}>
        {({ review, teams }) => (
          <Board
            review={review}
            teams={teams}
            trend={trend.data?.points ?? null}
            risk={risk.state === "error" ? risk.error : risk.data}
            period={route.query.get("period")}
          />
        )}
      </Async>
    </section>
  );
}

function Board({
  review,
  teams,
  trend,
  risk,
  period,
}: {
  review: Review;
  teams: TeamDetail[];
  trend: { month: string; score: number | null; managers: Record<string, number | null> }[] | null;
  risk: AtRisk | unknown;
  period: string | null;
}) {
  const [filter, setFilter] = useState("");
  const [overOnly, setOverOnly] = useState(false);
  const [sort, setSort] = useState<SortState<Column>>({ key: "score", dir: "desc" });
  const members = useMemo(() => new Map(managersOf(teams).map((m) => [m.id, m])), [teams]);

  const value = (row: ManagerReview, column: Column) => {
    const member = members.get(row.manager.id);
    if (column === "manager") return row.manager.display_name;
    if (column === "score") return row.score;
    if (column === "rank") return row.rank;
    if (column === "portfolio") return member?.portfolio_size ?? null;
    return row.figures[column]?.value ?? null;
  };
  let rows = filterRows(review.managers, filter, (r) => [r.manager.display_name]);
  if (overOnly) {
    rows = rows.filter((r) => {
      const m = members.get(r.manager.id);
      return (load(m?.portfolio_size ?? null, m?.capacity ?? null) ?? 0) > 1;
    });
  }
  rows = sortRows(rows, (r) => value(r, sort.key), sort.dir, locale());
  const onSort = (column: Column) =>
    setSort((s) => nextSort(s, column, column === "manager" ? "asc" : "desc"));
  const header = (column: Column, label: string, numeric = true) => (
    <SortHeader column={column} label={label} sort={sort} onSort={onSort} numeric={numeric} />
  );
  const total = review.total;
  const customers = [...members.values()].reduce((n, m) => n + (m.portfolio_size ?? 0), 0);
  const atRisk = risk && typeof risk === "object" && "complaints" in risk ? (risk as AtRisk) : null;

  return (
    <>
      <p class="cn-muted">{t("dash.asOf", { time: fmtDateTime(review.as_of) })}</p>
      <dl class="cn-cards">
        <Card label={t("dash.teamScore")} value={fmtScore(total.score)} />
        <Card label={t("dash.managers")} value={fmtNumber(review.managers.length)} />
        <Card label={t("dash.customers")} value={fmtNumber(customers)} />
        <Card label={t("dash.openWarnings")} value={fmtFigure(total.figures["open_warnings"])} />
        <Card label={t("dash.overdueTasks")} value={fmtFigure(total.figures["overdue_tasks"])} />
        <Card
          label={t("dash.overdueComplaints")}
          value={atRisk ? fmtNumber(atRisk.complaints.filter((c) => c.overdue).length) : "–"}
        />
      </dl>

      <div class="cn-toolbar">
        <TextInput
          label={t("dash.filter")}
          name="filter"
          type="search"
          value={filter}
          onValue={setFilter}
        />
        <Check label={t("dash.overOnly")} name="over" checked={overOnly} onChange={setOverOnly} />
      </div>
      <TableBox caption={t("dash.table")} testid="manager-table" wide>
        <thead>
          <tr>
            {header("manager", t("dash.col.manager"), false)}
            {header("score", t("dash.col.score"))}
            {header("rank", t("dash.col.rank"))}
            {COLUMNS.map((code) => header(code, indicatorName(code)))}
            {header("portfolio", t("dash.col.portfolio"))}
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => {
            const member = members.get(row.manager.id);
            return (
              <tr key={row.manager.id} data-testid="manager-row" data-id={row.manager.id}>
                <th scope="row">
                  <a href={href("manager", { id: row.manager.id }, { period })}>
                    {row.manager.display_name}
                  </a>
                </th>
                <td class="cn-num">{fmtScore(row.score)}</td>
                <td class="cn-num">{row.rank ?? "–"}</td>
                {COLUMNS.map((code) => (
                  <td key={code} class="cn-num">
                    {fmtFigure(row.figures[code])}
                  </td>
                ))}
                <td class="cn-num" data-testid="portfolio">
                  {member ? `${member.portfolio_size ?? 0} / ${member.capacity ?? "–"}` : "–"}
                  {(load(member?.portfolio_size ?? null, member?.capacity ?? null) ?? 0) > 1 && (
                    <span class="cn-badge cn-badge-danger"> {t("console.capacityOver")}</span>
                  )}
                </td>
              </tr>
            );
          })}
          {rows.length === 0 && (
            <tr>
              <td colSpan={COLUMNS.length + 4}>{t("dash.noManagers")}</td>
            </tr>
          )}
        </tbody>
      </TableBox>

      <div class="cn-grid">
        <section class="cn-panel" aria-labelledby="cap-title">
          <h2 id="cap-title">{t("dash.capacity")}</h2>
          <p class="cn-muted">{t("dash.capacityHint")}</p>
          {[...members.values()].map((m) => (
            <CapacityBar
              key={m.id}
              name={m.display_name}
              size={m.portfolio_size}
              capacity={m.capacity}
            />
          ))}
        </section>
        <ScoresChart review={review} />
        <TrendChart trend={trend} />
        <CoverageChart review={review} />
        <ComplaintsChart review={review} risk={risk} />
      </div>
    </>
  );
}

function Card({ label, value }: { label: string; value: string }) {
  return (
    <div class="cn-card">
      <dt>{label}</dt>
      <dd>{value}</dd>
    </div>
  );
}

const BRAND = "#1f4e79";
const GRID = { left: 48, right: 16, top: 24, bottom: 48, containLabel: true };

function ScoresChart({ review }: { review: Review }) {
  const rows = review.managers;
  const option = useMemo<ChartOption>(
    () => ({
      grid: GRID,
      tooltip: { trigger: "axis" },
      xAxis: {
        type: "category",
        data: rows.map((r) => r.manager.display_name),
        axisLabel: { interval: 0, rotate: rows.length > 6 ? 30 : 0 },
      },
      yAxis: { type: "value", min: 0, max: 100 },
      series: [{ type: "bar", data: rows.map((r) => r.score), itemStyle: { color: BRAND } }],
    }),
    [review],
  );
  const list = rows.map((r) => `${r.manager.display_name} ${fmtScore(r.score)}`).join(", ");
  return (
    <section class="cn-panel" aria-labelledby="scores-title">
      <h2 id="scores-title">{t("dash.chart.scores")}</h2>
      <Chart option={option} label={t("dash.chart.scoresLabel", { list })} testid="chart-scores" />
    </section>
  );
}

function TrendChart({
  trend,
}: {
  trend: { month: string; score: number | null; managers: Record<string, number | null> }[] | null;
}) {
  const option = useMemo<ChartOption>(
    () => ({
      grid: GRID,
      tooltip: { trigger: "axis" },
      xAxis: { type: "category", data: (trend ?? []).map((p) => p.month) },
      yAxis: { type: "value", min: 0, max: 100 },
      series: [
        {
          type: "line",
          name: t("dash.chart.team"),
          data: (trend ?? []).map((p) => p.score),
          itemStyle: { color: BRAND },
          connectNulls: false,
        },
      ],
    }),
    [trend, locale()],
  );
  const list = (trend ?? []).map((p) => `${p.month} ${fmtScore(p.score)}`).join(", ");
  return (
    <section class="cn-panel" aria-labelledby="trend-title">
      <h2 id="trend-title">{t("dash.chart.trend")}</h2>
      {trend ? (
        <Chart option={option} label={t("dash.chart.trendLabel", { list })} testid="chart-trend" />
      ) : (
        <p class="cn-muted" aria-busy="true">
          {t("console.loading")}
        </p>
      )}
    </section>
  );
}

const TIER_ORDER = ["diamond", "emerald", "platinum", "sapphire", "gold", "crystal"] as const;

function CoverageChart({ review }: { review: Review }) {
  const byTier = (review.total.figures["contact_coverage"]?.details["by_tier"] ?? {}) as Record<
    string,
    { covered: number; customers: number }
  >;
  const tiers = [
    ...TIER_ORDER.filter((code) => code in byTier),
    ...Object.keys(byTier).filter((code) => !(TIER_ORDER as readonly string[]).includes(code)),
  ];
  const share = (code: string) => {
    const row = byTier[code]!;
    return row.customers ? (row.covered / row.customers) * 100 : null;
  };
  const tierName = (code: string) =>
    (TIER_ORDER as readonly string[]).includes(code)
      ? t(`tier.${code as (typeof TIER_ORDER)[number]}`)
      : code;
  const option = useMemo<ChartOption>(
    () => ({
      grid: GRID,
      tooltip: { trigger: "axis" },
      xAxis: { type: "category", data: tiers.map(tierName), axisLabel: { interval: 0 } },
      yAxis: { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}%" } },
      series: [
        {
          type: "bar",
          data: tiers.map((code) =>
            share(code) === null ? null : Number(share(code)!.toFixed(1)),
          ),
          itemStyle: { color: "#2f7d5b" },
        },
      ],
    }),
    [review, locale()],
  );
  const list = tiers
    .map((code) => {
      const row = byTier[code]!;
      const pct = share(code);
      return `${tierName(code)} ${pct === null ? noData() : `${fmtFixed(pct, 1)}%`} (${row.covered}/${row.customers})`;
    })
    .join(", ");
  return (
    <section class="cn-panel" aria-labelledby="coverage-title">
      <h2 id="coverage-title">{t("dash.chart.coverage")}</h2>
      <Chart
        option={option}
        label={t("dash.chart.coverageLabel", { list: list || noData() })}
        testid="chart-coverage"
      />
    </section>
  );
}

function ComplaintsChart({ review, risk }: { review: Review; risk: AtRisk | unknown }) {
  const figure = review.total.figures["complaints_on_time"];
  const onTime = figure?.numerator ?? 0;
  const late = (figure?.denominator ?? 0) - onTime;
  const atRisk = risk && typeof risk === "object" && "complaints" in risk ? (risk as AtRisk) : null;
  const overdue = atRisk?.complaints.filter((c) => c.overdue).length ?? 0;
  const near = atRisk ? atRisk.complaints.length - overdue : 0;
  const names = [
    t("dash.chart.onTime"),
    t("dash.chart.late"),
    t("dash.chart.overdueNow"),
    t("dash.chart.nearNow"),
  ];
  const option = useMemo<ChartOption>(
    () => ({
      grid: { ...GRID, left: 8 },
      tooltip: { trigger: "axis" },
      yAxis: { type: "category", data: names, inverse: true },
      xAxis: { type: "value", minInterval: 1 },
      series: [
        {
          type: "bar",
          data: [
            { value: onTime, itemStyle: { color: "#1d6b35" } },
            { value: late, itemStyle: { color: "#b26b00" } },
            { value: overdue, itemStyle: { color: "#a61b1b" } },
            { value: near, itemStyle: { color: "#e0a100" } },
          ],
        },
      ],
    }),
    [review, atRisk, locale()],
  );
  return (
    <section class="cn-panel" aria-labelledby="complaints-title">
      <h2 id="complaints-title">{t("dash.chart.complaints")}</h2>
      <Chart
        option={option}
        label={t("dash.chart.complaintsLabel", { onTime, late, overdue, near })}
        testid="chart-complaints"
      />
      {risk instanceof Error && (
        <p class="cn-muted">{t("dash.atRiskUnavailable", { message: errorText(risk) })}</p>
      )}
    </section>
  );
}
