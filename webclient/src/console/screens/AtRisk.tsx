import { useState } from "preact/hooks";
import { api } from "../api";
import { fmtDateTime, fmtNumber, hasMessage, locale, t } from "../i18n";
import { filterRows, nextSort, sortRows, type SortState } from "../lib/table";
import { setQuery } from "../router";
import type { ScreenProps } from "../screens";
import type { AtRisk as Board, Reason, RiskComplaint, RiskWarning } from "../types";
import { TextInput } from "../ui/forms";
import { TeamPicker } from "../ui/Pickers";
import { useResource } from "../ui/resource";
import { Async } from "../ui/States";
import { SortHeader, TableBox } from "../ui/Table";
import { teamOf } from "./Dashboard";

/** A code the server sent, in words when the console has them. */
export function word(prefix: string, code: string): string {
  const key = `${prefix}.${code}`;
  return hasMessage(key) ? t(key) : code;
}

export function reasonText(reason: Reason): string {
  const text = locale() === "en" ? reason.text_en : reason.text_zh;
  return text ?? reason.text_en ?? reason.code;
}

/** Open churn warnings and complaints near their deadline, across the team. */
export function AtRisk({ route, user }: ScreenProps) {
  const teamId = teamOf(user, route.query);
  const board = useResource<Board>(() => api.atRisk(teamId || undefined), [teamId]);
  const categories = useResource(() => api.categories(), []);
  const categoryName = (code: string) => {
    const found = categories.data?.find((c) => c.code === code);
    if (!found) return code;
    return locale() === "en" ? found.name_en : found.name_zh;
  };
  const [filter, setFilter] = useState("");
  return (
    <section data-testid="at-risk">
      <h1>{t("risk.title")}</h1>
      <div class="cn-toolbar">
        <TeamPicker user={user} value={teamId} onValue={(team) => setQuery({ team })} />
        <TextInput
          label={t("risk.filter")}
          name="filter"
          type="search"
          value={filter}
          onValue={setFilter}
        />
      </div>
      <Async resource={board}>
        {(data) => (
          <>
            <Warnings
              rows={filterRows(data.warnings, filter, (w) => [
                w.customer.name,
                w.manager?.display_name,
              ])}
            />
            <Complaints
              categoryName={categoryName}
              rows={filterRows(data.complaints, filter, (c) => [
                c.customer.name,
                c.owner?.display_name,
              ])}
            />
          </>
        )}
      </Async>
    </section>
  );
}

type WarningColumn = "customer" | "tier" | "manager" | "age" | "status";

function Warnings({ rows }: { rows: RiskWarning[] }) {
  const [sort, setSort] = useState<SortState<WarningColumn>>({ key: "age", dir: "desc" });
  const value = (w: RiskWarning) =>
    sort.key === "customer"
      ? w.customer.name
      : sort.key === "tier"
        ? w.customer.tier
        : sort.key === "manager"
          ? (w.manager?.display_name ?? null)
          : sort.key === "age"
            ? w.age_days
            : w.status;
  const sorted = sortRows(rows, value, sort.dir, locale());
  const onSort = (key: WarningColumn) =>
    setSort((s) => nextSort(s, key, key === "age" ? "desc" : "asc"));
  const header = (key: WarningColumn, label: string, numeric = false) => (
    <SortHeader column={key} label={label} sort={sort} onSort={onSort} numeric={numeric} />
  );
  return (
    <section aria-labelledby="warnings-title">
      <h2 id="warnings-title">
        {t("risk.warnings")} ({fmtNumber(rows.length)})
      </h2>
      <p class="cn-muted">{t("risk.warningsHint")}</p>
      <TableBox caption={t("risk.warnings")} testid="risk-warnings">
        <thead>
          <tr>
            {header("customer", t("risk.col.customer"))}
            {header("tier", t("risk.col.tier"))}
            {header("manager", t("risk.col.manager"))}
            <th scope="col">{t("risk.col.reasons")}</th>
            {header("age", t("risk.col.age"), true)}
            <th scope="col">{t("risk.col.answer")}</th>
            {header("status", t("risk.col.status"))}
          </tr>
        </thead>
        <tbody>
          {sorted.map((w) => (
            <tr key={w.id} data-testid="risk-warning">
              <th scope="row">{w.customer.name}</th>
              <td>{word("tier", w.customer.tier)}</td>
              <td>{w.manager?.display_name ?? t("risk.unassigned")}</td>
              <td>
                <ul class="cn-plain">
                  {w.reasons.map((r, i) => (
                    <li key={i}>{reasonText(r)}</li>
                  ))}
                </ul>
              </td>
              <td class="cn-num">{t("risk.days", { count: w.age_days })}</td>
              <td>
                {w.answered_at ? (
                  <>
                    <span class="cn-muted">{fmtDateTime(w.answered_at)}</span>
                    {w.cause_analysis && (
                      <p class="cn-tight">
                        <strong>{t("risk.cause")}</strong> {w.cause_analysis}
                      </p>
                    )}
                    {w.retention_plan && (
                      <p class="cn-tight">
                        <strong>{t("risk.plan")}</strong> {w.retention_plan}
                      </p>
                    )}
                  </>
                ) : (
                  <span class="cn-badge cn-badge-warn">{t("risk.unanswered")}</span>
                )}
              </td>
              <td>{word("warningStatus", w.status)}</td>
            </tr>
          ))}
          {sorted.length === 0 && (
            <tr>
              <td colSpan={7}>{t("risk.noWarnings")}</td>
            </tr>
          )}
        </tbody>
      </TableBox>
    </section>
  );
}

type ComplaintColumn = "customer" | "owner" | "severity" | "deadline";

function Complaints({
  rows,
  categoryName,
}: {
  rows: RiskComplaint[];
  categoryName: (code: string) => string;
}) {
  const [sort, setSort] = useState<SortState<ComplaintColumn>>({ key: "deadline", dir: "asc" });
  const value = (c: RiskComplaint) =>
    sort.key === "customer"
      ? c.customer.name
      : sort.key === "owner"
        ? (c.owner?.display_name ?? null)
        : sort.key === "severity"
          ? ["low", "medium", "high", "critical"].indexOf(c.severity)
          : c.deadline_at;
  const sorted = sortRows(rows, value, sort.dir, locale());
  const onSort = (key: ComplaintColumn) => setSort((s) => nextSort(s, key));
  const header = (key: ComplaintColumn, label: string) => (
    <SortHeader column={key} label={label} sort={sort} onSort={onSort} />
  );
  return (
    <section aria-labelledby="complaints-title">
      <h2 id="complaints-title">
        {t("risk.complaints")} ({fmtNumber(rows.length)})
      </h2>
      <p class="cn-muted">{t("risk.complaintsHint")}</p>
      <TableBox caption={t("risk.complaints")} testid="risk-complaints">
        <thead>
          <tr>
            {header("customer", t("risk.col.customer"))}
            <th scope="col">{t("risk.col.tier")}</th>
            {header("owner", t("risk.col.owner"))}
            <th scope="col">{t("risk.col.category")}</th>
            {header("severity", t("risk.col.severity"))}
            <th scope="col">{t("risk.col.status")}</th>
            {header("deadline", t("risk.col.deadline"))}
          </tr>
        </thead>
        <tbody>
          {sorted.map((c) => (
            <tr key={c.id} data-testid="risk-complaint" data-overdue={String(c.overdue)}>
              <th scope="row">{c.customer.name}</th>
              <td>{word("tier", c.customer.tier)}</td>
              <td>{c.owner?.display_name ?? t("risk.unassigned")}</td>
              <td>{categoryName(c.category)}</td>
              <td>{word("severity", c.severity)}</td>
              <td>{word("complaintStatus", c.status)}</td>
              <td>
                {fmtDateTime(c.deadline_at)}{" "}
                <span class={`cn-badge ${c.overdue ? "cn-badge-danger" : "cn-badge-warn"}`}>
                  {c.overdue ? t("risk.overdue") : t("risk.dueSoon")}
                </span>
              </td>
            </tr>
          ))}
          {sorted.length === 0 && (
            <tr>
              <td colSpan={7}>{t("risk.noComplaints")}</td>
            </tr>
          )}
        </tbody>
      </TableBox>
    </section>
  );
}
