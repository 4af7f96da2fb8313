import { warningLists, type WarningRow } from "../../data/records";
import { fmtDate, t, useLocale } from "../../i18n";
import { ta } from "../../i18n/actions";
import { TierBadge } from "../components/TierBadge";
import { useLive } from "../components/useLive";
import { href } from "../router";
import { reasonText } from "./CustomerCard";
import type { ScreenProps } from "./types";
import "../screens.css";

/** The churn warnings of the manager's customers: waiting for an answer, answered, closed. */
export function Warnings(_: ScreenProps) {
  useLocale();
  const live = useLive(warningLists, []);
  if (!live.ready || live.value === undefined)
    return <p class="fb-screen">{t("portfolio.loading")}</p>;
  const { unanswered, answered, closed } = live.value;
  return (
    <section class="fb-screen" aria-labelledby="warnings-title" data-testid="warnings-list">
      <a class="fb-back" href={href("today")}>
        {t("form.toToday")}
      </a>
      <h1 id="warnings-title">{ta("act.warningsTitle")}</h1>
      {unanswered.length + answered.length === 0 && <p class="fb-empty">{ta("act.noWarnings")}</p>}
      {unanswered.length > 0 && (
        <Group
          id="warnings-unanswered"
          title={ta("act.unanswered", { count: unanswered.length })}
          rows={unanswered}
        />
      )}
      {answered.length > 0 && (
        <Group
          id="warnings-answered"
          title={ta("act.answered", { count: answered.length })}
          rows={answered}
        />
      )}
      {closed.length > 0 && (
        <details class="fb-more" data-testid="warnings-closed">
          <summary>{ta("act.closed", { count: closed.length })}</summary>
          <List rows={closed} />
        </details>
      )}
    </section>
  );
}

function Group({ id, title, rows }: { id: string; title: string; rows: WarningRow[] }) {
  return (
    <section class="fb-section" aria-labelledby={id}>
      <h2 id={id}>{title}</h2>
      <List rows={rows} />
    </section>
  );
}

function List({ rows }: { rows: WarningRow[] }) {
  return (
    <ul class="fb-list">
      {rows.map(({ warning: w, customer }) => (
        <li key={w.id}>
          <a
            class="fb-row"
            href={href("warning", { id: w.id })}
            data-testid="warnings-item"
            data-id={w.id}
            data-status={w.status}
          >
            <span class="fb-row-head">
              <span class="fb-row-name">
                {customer?.name ?? "—"} {customer && <TierBadge tier={customer.tier} />}
              </span>
              <span class="fb-status-tag">{t(`warningStatus.${w.status}`)}</span>
            </span>
            <span class="fb-meta">{w.reasons.map(reasonText).join("; ")}</span>
            <span class="fb-meta">
              {w.status === "open"
                ? ta("act.opened", { date: fmtDate(w.opened_at) })
                : ta("act.resolvedAt", { date: fmtDate(w.resolved_at) })}
            </span>
          </a>
        </li>
      ))}
    </ul>
  );
}
