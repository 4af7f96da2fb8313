import type { ComponentChildren } from "preact";
import { useState } from "preact/hooks";
import { ApiError, api } from "../api";
import { fmtDate, fmtDateTime, fmtNumber, t, type ConsoleKey } from "../i18n";
import { href, setQuery, type Route, type RouteName } from "../router";
import type { ScreenProps } from "../screens";
import type {
  Assignment,
  AssignResult,
  CustomerQuery,
  CustomerRow,
  Member,
  SessionUser,
  TeamDetail,
} from "../types";
import { CapacityBar } from "../ui/Capacity";
import { Dialog } from "../ui/Dialog";
import { CheckThenApply, Select, TextInput, WriteError, fieldError } from "../ui/forms";
import { TeamPicker } from "../ui/Pickers";
import { useResource, type Resource } from "../ui/resource";
import { Async, Notice } from "../ui/States";
import { ColumnHeads, Pager, TableBox } from "../ui/Table";
import { managersOf, teamDetails, teamOf } from "./Dashboard";
import { word } from "./AtRisk";

const TIERS = ["diamond", "emerald", "platinum", "sapphire", "gold", "crystal"];
const STAGES = ["onboarding", "introduction", "maturity", "warning", "churned"];
const SORTS = ["name", "tier", "contract_end_date", "last_contact"] as const;
const MAX_MOVE = 1000;

/** The tabs of the assignment area. */
export function AssignTabs({ current, teamId }: { current: RouteName; teamId: string }) {
  const tabs: [RouteName, ConsoleKey][] = [
    ["assign", "assign.tab.customers"],
    ["handover", "assign.tab.handover"],
    ["rebalance", "assign.tab.rebalance"],
  ];
  return (
    <ul class="cn-tabs">
      {tabs.map(([name, key]) => (
        <li key={name}>
          <a
            href={href(name, {}, { team: teamId || undefined })}
            aria-current={current === name ? "page" : undefined}
          >
            {t(key)}
          </a>
        </li>
      ))}
    </ul>
  );
}

/**
 * A screen of the assignment area: its title, the tabs and the team picker. A screen
 * that moves customers within one team (`oneTeam`) asks for a team first.
 */
export function AssignArea({
  current,
  title,
  user,
  teamId,
  oneTeam = false,
  children,
}: {
  current: RouteName;
  title: string;
  user: SessionUser;
  teamId: string;
  oneTeam?: boolean;
  children: ComponentChildren;
}) {
  return (
    <section data-testid={current}>
      <h1>{title}</h1>
      <AssignTabs current={current} teamId={teamId} />
      <div class="cn-toolbar">
        <TeamPicker
          user={user}
          value={teamId}
          allowAll={!oneTeam}
          onValue={(team) => setQuery({ team })}
        />
      </div>
      {oneTeam && !teamId ? <p>{t("assign.pickTeam")}</p> : children}
    </section>
  );
}

/** The reason a move records for the assignment history, with the API's message for it. */
export function ReasonInput({
  value,
  error,
  onValue,
  testid,
}: {
  value: string;
  error: unknown;
  onValue: (value: string) => void;
  testid?: string;
}) {
  return (
    <TextInput
      label={t("assign.reason")}
      name="reason"
      value={value}
      error={fieldError(error, "reason")}
      testid={testid}
      onValue={onValue}
    />
  );
}

/** Each manager's portfolio against their capacity, and `after` the move being checked. */
export function TeamCapacity({
  teams,
  after,
}: {
  teams: Resource<TeamDetail[]>;
  after: (member: Member) => number | null;
}) {
  return (
    <Async resource={teams}>
      {(details) =>
        managersOf(details).map((m) => (
          <CapacityBar
            key={m.id}
            name={m.display_name}
            size={m.portfolio_size}
            capacity={m.capacity}
            after={after(m)}
          />
        ))
      }
    </Async>
  );
}

/** The team's managers with their portfolio sizes (every team's for an admin with no pick). */
export function useTeamMembers(teamId: string): Resource<TeamDetail[]> {
  return useResource(() => teamDetails(teamId), [teamId]);
}

/** The managers who may take customers: active ones, by name. */
export function activeManagers(teams: TeamDetail[] | null): Member[] {
  return managersOf(teams ?? []).filter((m) => m.active);
}

/** The customer list's filters as the address holds them. */
function queryOf(route: Route): CustomerQuery {
  const q = route.query;
  const num = (name: string) => (q.get(name) ? Number(q.get(name)) : undefined);
  const bool = (name: string) => (q.get(name) === null ? undefined : q.get(name) === "true");
  return {
    q: q.get("q") ?? undefined,
    manager_id: q.get("manager_id") ?? undefined,
    unassigned: bool("unassigned"),
    tier: q.get("tier") ?? undefined,
    stage: q.get("stage") ?? undefined,
    kind: q.get("kind") ?? undefined,
    area: q.get("area") ?? undefined,
    no_contact_days: num("no_contact_days"),
    open_warning: bool("open_warning"),
    sort: (q.get("sort") as CustomerQuery["sort"]) ?? "name",
    page: num("page") ?? 1,
    per_page: num("per_page") ?? 50,
  };
}

export function Assign({ route, user }: ScreenProps) {
  const teamId = teamOf(user, route.query);
  const query = queryOf(route);
  const key = route.query.toString();
  const teams = useTeamMembers(teamId);
  const customers = useResource(() => api.customers(query), [key]);
  const [selected, setSelected] = useState<Map<string, CustomerRow>>(new Map());
  const [historyOf, setHistoryOf] = useState<CustomerRow | null>(null);
  const [preview, setPreview] = useState<{ target: string; result: AssignResult } | null>(null);
  const [moved, setMoved] = useState<number | null>(null);
  const managers = activeManagers(teams.data);

  const toggle = (rows: CustomerRow[], on: boolean) => {
    setSelected((current) => {
      const next = new Map(current);
      for (const row of rows) {
        if (on) next.set(row.id, row);
        else next.delete(row.id);
      }
      return next;
    });
    setPreview(null);
    setMoved(null);
  };

  return (
    <AssignArea current="assign" title={t("assign.title")} user={user} teamId={teamId}>
      {moved !== null && <Notice kind="ok">{t("assign.done", { count: fmtNumber(moved) })}</Notice>}
      <section class="cn-panel" aria-labelledby="capacity-title" data-testid="capacity-panel">
        <h2 id="capacity-title">{t("assign.capacity")}</h2>
        <p class="cn-muted">{t("assign.capacityHint")}</p>
        <div class="cn-capacity-grid">
          <TeamCapacity teams={teams} after={(m) => afterMove(m, preview, selected)} />
        </div>
      </section>
      <Filters
        key={key}
        query={query}
        managers={managersOf(teams.data ?? [])}
        onApply={(filters) => setQuery({ ...filters, page: undefined })}
      />
      <Async resource={customers}>
        {(page) => (
          <>
            <CustomerTable
              rows={page.items}
              selected={selected}
              onToggle={toggle}
              onHistory={setHistoryOf}
            />
            <Pager
              page={page.page}
              pages={page.pages}
              total={page.total}
              onPage={(n) => setQuery({ page: n })}
            />
          </>
        )}
      </Async>
      {historyOf && <History customer={historyOf} onClose={() => setHistoryOf(null)} />}
      {selected.size > 0 && (
        <MoveBar
          selected={selected}
          managers={managers}
          preview={preview}
          onPreview={setPreview}
          onClear={() => {
            setSelected(new Map());
            setPreview(null);
          }}
          onMoved={(count) => {
            setMoved(count);
            setSelected(new Map());
            setPreview(null);
            customers.reload();
            teams.reload();
          }}
        />
      )}
    </AssignArea>
  );
}

/** A manager's portfolio size after the checked move: those selected leave, the target gains. */
function afterMove(
  member: Member,
  preview: { target: string; result: AssignResult } | null,
  selected: Map<string, CustomerRow>,
): number | null {
  if (!preview || member.portfolio_size === null) return null;
  const leaving = [...selected.values()].filter(
    (c) => c.manager?.id === member.id && preview.target !== member.id,
  ).length;
  const arriving = preview.target === member.id ? preview.result.assigned : 0;
  return member.portfolio_size - leaving + arriving;
}

function Filters({
  query,
  managers,
  onApply,
}: {
  query: CustomerQuery;
  managers: Member[];
  onApply: (filters: Record<string, string | number | boolean | undefined>) => void;
}) {
  const [f, setF] = useState({
    q: query.q ?? "",
    holder: query.unassigned ? "pool" : (query.manager_id ?? ""),
    tier: query.tier ?? "",
    stage: query.stage ?? "",
    kind: query.kind ?? "",
    area: query.area ?? "",
    no_contact_days: query.no_contact_days === undefined ? "" : String(query.no_contact_days),
    open_warning: query.open_warning === undefined ? "" : String(query.open_warning),
    sort: query.sort ?? "name",
    per_page: String(query.per_page ?? 50),
  });
  const set = (name: keyof typeof f) => (value: string) => setF((v) => ({ ...v, [name]: value }));
  const any = { value: "", label: t("assign.any") };
  return (
    <form
      class="cn-panel"
      aria-label={t("assign.filters")}
      data-testid="customer-filters"
      onSubmit={(e) => {
        e.preventDefault();
        onApply({
          q: f.q.trim() || undefined,
          manager_id: f.holder && f.holder !== "pool" ? f.holder : undefined,
          unassigned: f.holder === "pool" ? true : undefined,
          tier: f.tier || undefined,
          stage: f.stage || undefined,
          kind: f.kind || undefined,
          area: f.area.trim() || undefined,
          no_contact_days: f.no_contact_days || undefined,
          open_warning: f.open_warning || undefined,
          sort: f.sort === "name" ? undefined : f.sort,
          per_page: f.per_page === "50" ? undefined : f.per_page,
        });
      }}
    >
      <div class="cn-form-grid">
        <TextInput label={t("assign.q")} name="q" type="search" value={f.q} onValue={set("q")} />
        <Select
          label={t("assign.holder")}
          name="holder"
          value={f.holder}
          onValue={set("holder")}
          options={[
            { value: "", label: t("assign.holder.any") },
            { value: "pool", label: t("assign.holder.pool") },
            ...managers.map((m) => ({ value: m.id, label: m.display_name })),
          ]}
        />
        <Select
          label={t("assign.tier")}
          name="tier"
          value={f.tier}
          onValue={set("tier")}
          options={[any, ...TIERS.map((c) => ({ value: c, label: word("tier", c) }))]}
        />
        <Select
          label={t("assign.stage")}
          name="stage"
          value={f.stage}
          onValue={set("stage")}
          options={[any, ...STAGES.map((c) => ({ value: c, label: word("stage", c) }))]}
        />
        <Select
          label={t("assign.kind")}
          name="kind"
          value={f.kind}
          onValue={set("kind")}
          options={[
            any,
            { value: "individual", label: t("assign.kind.individual") },
            { value: "organisation", label: t("assign.kind.organisation") },
          ]}
        />
        <TextInput label={t("assign.area")} name="area" value={f.area} onValue={set("area")} />
        <TextInput
          label={t("assign.noContact")}
          name="no_contact_days"
          type="number"
          min={0}
          value={f.no_contact_days}
          onValue={set("no_contact_days")}
        />
        <Select
          label={t("assign.openWarning")}
          name="open_warning"
          value={f.open_warning}
          onValue={set("open_warning")}
          options={[
            any,
            { value: "true", label: t("console.yes") },
            { value: "false", label: t("console.no") },
          ]}
        />
        <Select
          label={t("assign.sort")}
          name="sort"
          value={f.sort}
          onValue={set("sort")}
          options={SORTS.map((s) => ({ value: s, label: t(`assign.sort.${s}`) }))}
        />
        <Select
          label={t("assign.perPage")}
          name="per_page"
          value={f.per_page}
          onValue={set("per_page")}
          options={["50", "100", "200"].map((n) => ({ value: n, label: n }))}
        />
      </div>
      <p class="cn-actions">
        <button type="submit" class="cn-button" data-testid="apply-filters">
          {t("assign.apply")}
        </button>
        <button
          type="button"
          class="cn-button cn-secondary"
          onClick={() =>
            onApply(
              Object.fromEntries(
                [
                  "q",
                  "manager_id",
                  "unassigned",
                  "tier",
                  "stage",
                  "kind",
                  "area",
                  "no_contact_days",
                  "open_warning",
                  "sort",
                  "per_page",
                ].map((k) => [k, undefined]),
              ),
            )
          }
        >
          {t("assign.reset")}
        </button>
      </p>
    </form>
  );
}

function CustomerTable({
  rows,
  selected,
  onToggle,
  onHistory,
}: {
  rows: CustomerRow[];
  selected: Map<string, CustomerRow>;
  onToggle: (rows: CustomerRow[], on: boolean) => void;
  onHistory: (row: CustomerRow) => void;
}) {
  const all = rows.length > 0 && rows.every((r) => selected.has(r.id));
  return (
    <TableBox caption={t("assign.list")} testid="customer-table">
      <ColumnHeads
        columns={[
          <input
            type="checkbox"
            checked={all}
            aria-label={t("assign.selectPage", { count: rows.length })}
            data-testid="select-page"
            onChange={(e) => onToggle(rows, e.currentTarget.checked)}
          />,
          t("assign.col.name"),
          t("assign.col.tier"),
          t("assign.col.stage"),
          t("assign.col.manager"),
          t("assign.col.lastContact"),
          t("assign.col.warning"),
          t("assign.col.address"),
          t("assign.col.history"),
        ]}
      />
      <tbody>
        {rows.map((row) => (
          <tr
            key={row.id}
            data-testid="customer-row"
            data-id={row.id}
            aria-selected={selected.has(row.id)}
          >
            <td>
              <input
                type="checkbox"
                checked={selected.has(row.id)}
                aria-label={t("assign.selectRow", { name: row.name })}
                onChange={(e) => onToggle([row], e.currentTarget.checked)}
              />
            </td>
            <th scope="row">
              <a href={href("customer", { id: row.id })} data-testid="customer-link">
                {row.name}
              </a>
              <br />
              <span class="cn-muted">{row.external_no}</span>
            </th>
            <td>{word("tier", row.tier.code)}</td>
            <td>{word("stage", row.stage)}</td>
            <td data-testid="customer-manager">{row.manager?.display_name ?? t("assign.pool")}</td>
            <td>
              {row.last_contact_at === undefined
                ? "–"
                : row.last_contact_at
                  ? fmtDate(row.last_contact_at)
                  : t("assign.never")}
            </td>
            <td>
              {row.open_warning && (
                <span class="cn-badge cn-badge-warn">{t("assign.warningOpen")}</span>
              )}
            </td>
            <td class="cn-address" title={row.address ?? undefined}>
              {row.address ?? ""}
            </td>
            <td>
              <button
                type="button"
                class="cn-link"
                data-testid="history-button"
                onClick={() => onHistory(row)}
                aria-label={t("assign.historyOf", { name: row.name })}
              >
                {t("assign.history")}
              </button>
            </td>
          </tr>
        ))}
        {rows.length === 0 && (
          <tr>
            <td colSpan={9}>{t("assign.noCustomers")}</td>
          </tr>
        )}
      </tbody>
    </TableBox>
  );
}

export function History({ customer, onClose }: { customer: CustomerRow; onClose: () => void }) {
  const history = useResource<Assignment[]>(() => api.assignments(customer.id), [customer.id]);
  return (
    <Dialog
      title={t("assign.historyOf", { name: customer.name })}
      titleId="history-title"
      testid="history"
      closeTestid="history-close"
      onClose={onClose}
    >
      <Async resource={history}>
        {(items) =>
          items.length === 0 ? (
            <p class="cn-muted">{t("assign.historyNone")}</p>
          ) : (
            <ol class="cn-timeline">
              {items.map((a) => (
                <li key={a.id} data-testid="history-item">
                  <strong>
                    {t("assign.historyItem", {
                      from: a.from_manager?.display_name ?? t("assign.pool"),
                      to: a.to_manager?.display_name ?? t("assign.pool"),
                    })}
                  </strong>
                  <br />
                  <span class="cn-muted">
                    {fmtDateTime(a.at)}
                    {a.assigned_by && (
                      <> · {t("assign.historyBy", { name: a.assigned_by.display_name })}</>
                    )}
                  </span>
                  <p class="cn-tight">{a.reason}</p>
                </li>
              ))}
            </ol>
          )
        }
      </Async>
    </Dialog>
  );
}

/** The capacity warnings and the open work that moves, of a dry run. */
export function MovePreview({
  result,
  count,
  managers,
}: {
  result: AssignResult;
  count?: string;
  managers: Member[];
}) {
  const name = (id: string | undefined) =>
    managers.find((m) => m.id === id)?.display_name ?? id ?? "";
  return (
    <div data-testid="move-preview">
      <p role="status">
        {count ??
          t("assign.preview", {
            count: fmtNumber(result.assigned),
            unchanged: fmtNumber(result.unchanged),
          })}
        {result.moves && (
          <>
            {" "}
            {t("assign.previewMoves", {
              plans: fmtNumber(result.moves.plans),
              tasks: fmtNumber(result.moves.tasks),
              complaints: fmtNumber(result.moves.complaints),
            })}
          </>
        )}
      </p>
      {result.warnings
        .filter((w) => w.code === "capacity_exceeded")
        .map((w, i) => (
          <p key={i} class="cn-notice cn-notice-error" data-testid="capacity-warning">
            {t("assign.capacityExceeded", {
              name: name(w.manager_id),
              size: fmtNumber(w.portfolio_size ?? 0),
              capacity: fmtNumber(w.capacity ?? 0),
            })}
          </p>
        ))}
    </div>
  );
}

function MoveBar({
  selected,
  managers,
  preview,
  onPreview,
  onClear,
  onMoved,
}: {
  selected: Map<string, CustomerRow>;
  managers: Member[];
  preview: { target: string; result: AssignResult } | null;
  onPreview: (p: { target: string; result: AssignResult } | null) => void;
  onClear: () => void;
  onMoved: (count: number) => void;
}) {
  const [target, setTarget] = useState("");
  const [reason, setReason] = useState("");
  const [busy, setBusy] = useState<"check" | "move" | null>(null);
  const [error, setError] = useState<unknown>(null);
  const count = selected.size;

  async function run(dryRun: boolean) {
    setError(null);
    if (!target) {
      setError(
        new ApiError(422, "validation_error", t("assign.pickTarget"), {
          manager_id: [t("assign.pickTarget")],
        }),
      );
      return;
    }
    if (count > MAX_MOVE) {
      setError(new ApiError(422, "validation_error", t("assign.tooMany")));
      return;
    }
    setBusy(dryRun ? "check" : "move");
    try {
      const result = await api.assign({
        customer_ids: [...selected.keys()],
        manager_id: target === "pool" ? null : target,
        reason: reason.trim(),
        dry_run: dryRun,
      });
      if (dryRun) onPreview({ target, result });
      else onMoved(result.assigned);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(null);
    }
  }

  return (
    <section class="cn-selectionbar" aria-labelledby="move-title" data-testid="move-bar">
      <h2 id="move-title">
        {t("assign.selected", { count: fmtNumber(count) })}{" "}
        <button type="button" class="cn-link cn-small" onClick={onClear}>
          {t("assign.clearSelection")}
        </button>
      </h2>
      <div class="cn-toolbar">
        <Select
          label={t("assign.target")}
          name="target"
          value={target}
          testid="move-target"
          error={fieldError(error, "manager_id")}
          onValue={(v) => {
            setTarget(v);
            onPreview(null);
          }}
          options={[
            { value: "", label: t("console.unpicked") },
            { value: "pool", label: t("assign.pool") },
            ...managers.map((m) => ({ value: m.id, label: m.display_name })),
          ]}
        />
        <ReasonInput
          value={reason}
          error={error}
          testid="move-reason"
          onValue={(v) => {
            setReason(v);
            onPreview(null);
          }}
        />
        <CheckThenApply
          check={busy === "check" ? t("assign.checking") : t("assign.check")}
          apply={
            busy === "move" ? t("assign.moving") : t("assign.confirm", { count: fmtNumber(count) })
          }
          checked={preview !== null}
          busy={busy !== null}
          onRun={(dryRun) => void run(dryRun)}
          checkTestid="move-check"
          applyTestid="move-confirm"
        />
      </div>
      {preview && <MovePreview result={preview.result} managers={managers} />}
      <WriteError error={error} fields={["reason", "manager_id"]} />
    </section>
  );
}
