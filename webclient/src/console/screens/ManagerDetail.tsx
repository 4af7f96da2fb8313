import { api } from "../api";
import {
  fmtDateTime,
  fmtFigure,
  fmtNumber,
  fmtScore,
  hasMessage,
  INDICATOR_CODES,
  indicatorName,
  t,
} from "../i18n";
import { parseChoice, periodQuery } from "../lib/period";
import { href } from "../router";
import type { ScreenProps } from "../screens";
import type { ManagerDashboard, Review } from "../types";
import { CapacityBar } from "../ui/Capacity";
import { useResource } from "../ui/resource";
import { Async } from "../ui/States";
import { ColumnHeads, TableBox } from "../ui/Table";
import { localDate } from "../../time";

/** One manager: their portfolio, what is overdue, their figures and their last visits. */
export function ManagerDetail({ route }: ScreenProps) {
  const id = route.params["id"]!;
  const period = route.query.get("period");
  const data = useResource(async () => {
    const [board, review] = await Promise.all([
      api.managerDashboard(id),
      api.review({
        ...periodQuery(parseChoice(period), localDate(new Date())),
        manager_id: id,
      }),
    ]);
    return { board, review };
  }, [id, period]);
  return (
    <section data-testid="manager-detail">
      <p>
        <a href={href("dashboard", {}, { period })}>← {t("mgr.back")}</a>
      </p>
      <Async resource={data}>
        {({ board, review }) => <Detail board={board} review={review} />}
      </Async>
      {data.state === "error" && <h1 class="cn-sr">{t("console.notFound.title")}</h1>}
    </section>
  );
}

function Counts({
  title,
  counts,
  word,
}: {
  title: string;
  counts: Record<string, number>;
  word: (code: string) => string;
}) {
  const entries = Object.entries(counts);
  return (
    <section class="cn-panel">
      <h2>{title}</h2>
      {entries.length === 0 ? (
        <p class="cn-muted">{t("console.none")}</p>
      ) : (
        <dl class="cn-kv">
          {entries.map(([code, n]) => (
            <div key={code} style={{ display: "contents" }}>
              <dt>{word(code)}</dt>
              <dd>{fmtNumber(n)}</dd>
            </div>
          ))}
        </dl>
      )}
    </section>
  );
}

function Detail({ board, review }: { board: ManagerDashboard; review: Review }) {
  const mine = review.managers.find((m) => m.manager.id === board.manager.id) ?? null;
  const weights = new Map(review.scorecard.map((e) => [e.indicator, e.weight]));
  const tierWord = (code: string) => {
    const key = `tier.${code}`;
    return hasMessage(key) ? t(key) : code;
  };
  const stageWord = (code: string) => {
    const key = `stage.${code}`;
    return hasMessage(key) ? t(key) : code;
  };
  const word = (prefix: string, code: string) => {
    const key = `${prefix}.${code}`;
    return hasMessage(key) ? t(key) : code;
  };
  return (
    <>
      <h1>{t("mgr.title", { name: board.manager.display_name })}</h1>
      <dl class="cn-cards">
        <div class="cn-card">
          <dt>{t("dash.col.score")}</dt>
          <dd>{fmtScore(mine?.score)}</dd>
        </div>
        <div class="cn-card">
          <dt>{t("dash.col.rank")}</dt>
          <dd>{mine?.rank ?? "–"}</dd>
        </div>
        <div class="cn-card">
          <dt>{t("mgr.openWarnings")}</dt>
          <dd>{fmtNumber(board.open_warnings)}</dd>
        </div>
        <div class="cn-card">
          <dt>{t("mgr.overduePlans")}</dt>
          <dd>{fmtNumber(board.overdue.plans)}</dd>
        </div>
        <div class="cn-card">
          <dt>{t("mgr.overdueTasks")}</dt>
          <dd>{fmtNumber(board.overdue.tasks)}</dd>
        </div>
        <div class="cn-card">
          <dt>{t("mgr.overdueComplaints")}</dt>
          <dd>{fmtNumber(board.overdue.complaints)}</dd>
        </div>
      </dl>
      <section class="cn-panel">
        <h2>{t("mgr.portfolio")}</h2>
        <CapacityBar size={board.portfolio_size} capacity={board.capacity} />
        <p>
          <a href={href("assign", {}, { manager_id: board.manager.id })}>{t("mgr.customers")} →</a>
        </p>
      </section>
      <div class="cn-grid">
        <Counts title={t("mgr.byTier")} counts={board.by_tier} word={tierWord} />
        <Counts title={t("mgr.byStage")} counts={board.by_stage} word={stageWord} />
      </div>
      <h2>{t("mgr.figures")}</h2>
      <TableBox caption={t("mgr.figures")} testid="manager-figures">
        <ColumnHeads
          columns={[
            t("mgr.indicator"),
            { numeric: t("mgr.value") },
            { numeric: t("mgr.weight") },
            { numeric: t("mgr.points") },
          ]}
        />
        <tbody>
          {INDICATOR_CODES.map((code) => (
            <tr key={code}>
              <th scope="row">{indicatorName(code)}</th>
              <td class="cn-num">{fmtFigure(mine?.figures[code])}</td>
              <td class="cn-num">{weights.get(code) || "–"}</td>
              <td class="cn-num">
                {(weights.get(code) ?? 0) > 0 ? fmtScore(mine?.scores[code] ?? null) : "–"}
              </td>
            </tr>
          ))}
        </tbody>
      </TableBox>
      <section class="cn-panel" aria-labelledby="visits-title">
        <h2 id="visits-title">{t("mgr.visits")}</h2>
        {board.recent_visits.length === 0 ? (
          <p class="cn-muted">{t("mgr.noVisits")}</p>
        ) : (
          <ol class="cn-timeline" data-testid="visit-timeline">
            {board.recent_visits.map((v) => (
              <li key={v.id}>
                <strong>{fmtDateTime(v.started_at)}</strong> · {v.customer.name}
                <br />
                <span class="cn-muted">
                  {word("channel", v.channel)} · {word("purpose", v.purpose)}
                  {v.location_status && word("location", v.location_status) && (
                    <> · {word("location", v.location_status)}</>
                  )}
                </span>
                {v.outcome && <p style={{ margin: 0 }}>{v.outcome}</p>}
              </li>
            ))}
          </ol>
        )}
      </section>
    </>
  );
}
