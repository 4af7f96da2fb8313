import { useState } from "preact/hooks";
import { api } from "../api";
import { fmtDateTime, fmtNumber, fmtScore, fmtValue, indicatorName, locale, t } from "../i18n";
import { unitOf } from "../lib/figures";
import { parseChoice, periodQuery } from "../lib/period";
import { nextSort, sortRows, type SortState } from "../lib/table";
import type { ScreenProps } from "../screens";
import type { ExportRecord, Job, Review, SessionUser } from "../types";
import { Check, Select } from "../ui/forms";
import { JobProgress } from "../ui/JobProgress";
import { rangeText, ReviewPickers } from "../ui/Pickers";
import { useResource } from "../ui/resource";
import { Async, errorText, Notice } from "../ui/States";
import { ColumnHeads, SortHeader, TableBox } from "../ui/Table";
import { teamOf } from "./Dashboard";
import { localDate } from "../../time";

/** A team's (or everyone's) review for a period: the scorecard, the points, exports. */
export function Reviews({ route, user }: ScreenProps) {
  const teamId = teamOf(user, route.query);
  const periodParam = route.query.get("period");
  const choice = parseChoice(periodParam);
  const review = useResource(
    () =>
      api.review({ ...periodQuery(choice, localDate(new Date())), team_id: teamId || undefined }),
    [teamId, periodParam],
  );
  const [exported, setExported] = useState(0);
  return (
    <section data-testid="reviews">
      <h1>{t("rev.title")}</h1>
      <ReviewPickers user={user} teamId={teamId} period={choice} />
      {teamId && <ShowRank teamId={teamId} />}
      <Async resource={review}>
        {(data) => (
          <>
            <Scorecard review={data} />
            <Results review={data} />
            <ExportPanel
              user={user}
              teamId={teamId}
              query={periodQuery(choice, localDate(new Date()))}
              onExported={() => setExported((n) => n + 1)}
            />
          </>
        )}
      </Async>
      <ExportHistory refresh={exported} />
    </section>
  );
}

function Scorecard({ review }: { review: Review }) {
  const weighted = review.scorecard.filter((e) => e.weight > 0);
  const monitored = review.scorecard.filter((e) => e.weight === 0);
  return (
    <section aria-labelledby="scorecard-title">
      <h2 id="scorecard-title">
        {t("rev.scorecard")}: {review.period.name} (
        {rangeText(review.period.starts_on, review.period.ends_on)})
      </h2>
      <p class="cn-muted">{t("rev.scorecardHint")}</p>
      <TableBox caption={t("rev.scorecard")} testid="scorecard">
        <ColumnHeads
          columns={[
            t("mgr.indicator"),
            { numeric: t("mgr.weight") },
            { numeric: t("rev.target") },
            { numeric: t("rev.floor") },
            { numeric: t("rev.cap") },
          ]}
        />
        <tbody>
          {weighted.map((e) => (
            <tr key={e.indicator}>
              <th scope="row">{indicatorName(e.indicator)}</th>
              <td class="cn-num">{e.weight}</td>
              <td class="cn-num">{fmtValue(e.target ?? null, unitOf(e.indicator))}</td>
              <td class="cn-num">{fmtValue(e.floor ?? null, unitOf(e.indicator))}</td>
              <td class="cn-num">×{e.cap ?? 1}</td>
            </tr>
          ))}
        </tbody>
      </TableBox>
      <p class="cn-muted">
        {t("rev.monitored", { list: monitored.map((e) => indicatorName(e.indicator)).join("、") })}
      </p>
    </section>
  );
}

function Results({ review }: { review: Review }) {
  const weighted = review.scorecard.filter((e) => e.weight > 0).map((e) => e.indicator);
  const [sort, setSort] = useState<SortState>({ key: "rank", dir: "asc" });
  const value = (row: Review["managers"][number]) =>
    sort.key === "manager"
      ? row.manager.display_name
      : sort.key === "rank"
        ? row.rank
        : sort.key === "score"
          ? row.score
          : (row.scores[sort.key] ?? null);
  const rows = sortRows(review.managers, value, sort.dir, locale());
  const onSort = (key: string) =>
    setSort((s) => nextSort(s, key, key === "rank" || key === "manager" ? "asc" : "desc"));
  return (
    <section>
      <h2 id="results-title">{t("rev.results")}</h2>
      <TableBox caption={t("rev.results")} testid="review-results" wide>
        <thead>
          <tr>
            <SortHeader
              column="rank"
              label={t("dash.col.rank")}
              sort={sort}
              onSort={onSort}
              numeric
            />
            <SortHeader
              column="manager"
              label={t("dash.col.manager")}
              sort={sort}
              onSort={onSort}
            />
            {weighted.map((code) => (
              <SortHeader
                key={code}
                column={code}
                label={indicatorName(code)}
                sort={sort}
                onSort={onSort}
                numeric
              />
            ))}
            <SortHeader
              column="score"
              label={t("dash.col.score")}
              sort={sort}
              onSort={onSort}
              numeric
            />
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr key={row.manager.id} data-testid="review-row">
              <td class="cn-num">{row.rank ?? "–"}</td>
              <th scope="row">{row.manager.display_name}</th>
              {weighted.map((code) => (
                <td
                  key={code}
                  class="cn-num"
                  title={fmtValue(row.figures[code]?.value ?? null, unitOf(code))}
                >
                  {fmtScore(row.scores[code] ?? null)}
                </td>
              ))}
              <td class="cn-num">
                <strong>{fmtScore(row.score)}</strong>
              </td>
            </tr>
          ))}
        </tbody>
        <tfoot>
          <tr>
            <td />
            <th scope="row">{review.total.team?.name ?? t("rev.teamRow")}</th>
            {weighted.map((code) => (
              <td key={code} class="cn-num">
                {fmtScore(review.total.scores[code] ?? null)}
              </td>
            ))}
            <td class="cn-num">
              <strong>{fmtScore(review.total.score)}</strong>
            </td>
          </tr>
        </tfoot>
      </TableBox>
    </section>
  );
}

function ExportPanel({
  user,
  teamId,
  query,
  onExported,
}: {
  user: SessionUser;
  teamId: string;
  query: { period_id: string } | { starts_on: string; ends_on: string };
  onExported: () => void;
}) {
  const [format, setFormat] = useState<"xlsx" | "csv">("xlsx");
  const [language, setLanguage] = useState<string>(locale());
  const [unmasked, setUnmasked] = useState(false);
  const [job, setJob] = useState<Job | null>(null);
  const [download, setDownload] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);

  async function start(event: Event) {
    event.preventDefault();
    setError(null);
    setDownload(null);
    try {
      setJob(
        await api.exportReview({
          ...query,
          ...(teamId ? { team_id: teamId } : {}),
          format,
          language,
          ...(user.role === "admin" ? { unmasked } : {}),
        }),
      );
    } catch (err) {
      setError(err);
    }
  }

  return (
    <form
      class="cn-panel"
      onSubmit={start}
      aria-labelledby="export-title"
      data-testid="export-form"
    >
      <h2 id="export-title">{t("rev.export")}</h2>
      <div class="cn-toolbar">
        <Select
          label={t("rev.format")}
          name="format"
          value={format}
          onValue={(v) => setFormat(v as "xlsx" | "csv")}
          options={[
            { value: "xlsx", label: "Excel (XLSX)" },
            { value: "csv", label: "CSV" },
          ]}
        />
        <Select
          label={t("rev.language")}
          name="language"
          value={language}
          onValue={setLanguage}
          options={[
            { value: "zh-CN", label: "中文" },
            { value: "en", label: "English" },
          ]}
        />
        {user.role === "admin" && (
          <Check
            label={t("rev.unmasked")}
            name="unmasked"
            checked={unmasked}
            onChange={setUnmasked}
          />
        )}
        <button
          type="submit"
          class="cn-button"
          data-testid="export-start"
          disabled={job !== null && download === null && !error}
        >
          {t("rev.exportStart")}
        </button>
      </div>
      {job && (
        <JobProgress
          key={job.id}
          job={job}
          onDone={(finished) => {
            if (finished.download_url) setDownload(finished.download_url);
            onExported();
          }}
        />
      )}
      {download && (
        <p>
          <a class="cn-button" href={download} download data-testid="export-download">
            {t("rev.download")}
          </a>
        </p>
      )}
      {error !== null && <Notice kind="error">{errorText(error)}</Notice>}
    </form>
  );
}

function ShowRank({ teamId }: { teamId: string }) {
  const team = useResource(() => api.team(teamId), [teamId]);
  const [shown, setShown] = useState<boolean | null>(null);
  const [error, setError] = useState<unknown>(null);
  const current = shown ?? team.data?.show_rank ?? null;

  async function set(value: boolean) {
    setError(null);
    try {
      const answer = await api.setShowRank(teamId, value);
      setShown(answer.show_rank);
    } catch (err) {
      setError(err);
    }
  }

  return (
    <div class="cn-panel" data-testid="show-rank">
      {current === null ? (
        // GET /teams/{id} does not say yet whether the rank is shown: offer both.
        <p class="cn-actions">
          <span>{t("rev.showRankUnknown")}</span>
          <button
            type="button"
            class="cn-button cn-secondary cn-small"
            onClick={() => void set(true)}
          >
            {t("rev.showRankYes")}
          </button>
          <button
            type="button"
            class="cn-button cn-secondary cn-small"
            onClick={() => void set(false)}
          >
            {t("rev.showRankNo")}
          </button>
        </p>
      ) : (
        <label class="cn-check">
          <input
            type="checkbox"
            checked={current}
            onChange={(e) => void set(e.currentTarget.checked)}
          />
          <span>{t("rev.showRank")}</span>
        </label>
      )}
      {shown !== null && (
        <p role="status" class="cn-muted">
          {t(shown ? "rev.showRankOn" : "rev.showRankOff")}
        </p>
      )}
      {error !== null && <Notice kind="error">{errorText(error)}</Notice>}
    </div>
  );
}

function ExportHistory({ refresh }: { refresh: number }) {
  const list = useResource<ExportRecord[]>(() => api.exports(), [refresh]);
  const teams = new Map<string, string>();
  const scopeText = (r: ExportRecord) => {
    const kind =
      r.scope.kind === "all"
        ? t("rev.scopeAll")
        : (teams.get(r.scope.team_id ?? "") ?? r.scope.kind);
    return `${kind} · ${rangeText(r.scope.starts_on, r.scope.ends_on)}`;
  };
  return (
    <section>
      <h2 id="history-title">{t("rev.history")}</h2>
      {list.state === "error" ? (
        <p class="cn-muted">{t("rev.historyUnavailable", { message: errorText(list.error) })}</p>
      ) : (
        <Async resource={list}>
          {(items) =>
            items.length === 0 ? (
              <p class="cn-muted">{t("rev.historyNone")}</p>
            ) : (
              <TableBox caption={t("rev.history")} testid="export-history">
                <ColumnHeads
                  columns={[
                    t("rev.col.at"),
                    t("rev.col.by"),
                    t("rev.col.scope"),
                    t("rev.format"),
                    t("rev.col.rows"),
                    t("rev.col.file"),
                  ]}
                />
                <tbody>
                  {items.map((r) => (
                    <tr key={r.id} data-testid="export-record">
                      <td>{fmtDateTime(r.at)}</td>
                      <td>{r.user.display_name}</td>
                      <td>{scopeText(r)}</td>
                      <td>
                        {r.format.toUpperCase()}{" "}
                        <span class={`cn-badge${r.unmasked ? " cn-badge-warn" : ""}`}>
                          {t(r.unmasked ? "rev.unmaskedBadge" : "rev.masked")}
                        </span>
                      </td>
                      <td class="cn-num">{fmtNumber(r.rows)}</td>
                      <td>
                        {r.download_url ? (
                          <a href={r.download_url} download>
                            {t("rev.download")}
                          </a>
                        ) : (
                          <span class="cn-muted">{t("rev.expired")}</span>
                        )}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </TableBox>
            )
          }
        </Async>
      )}
    </section>
  );
}
