import { useState } from "preact/hooks";
import { api } from "../../api";
import { fmtDateTime, hasMessage, t } from "../../i18n";
import {
  AUDIT_ACTIONS,
  AUDIT_TARGETS,
  dayStart,
  detailParts,
  type AuditArea,
} from "../../lib/audit";
import { setQuery } from "../../router";
import type { ScreenProps } from "../../screens";
import type { AuditEvent } from "../../types";
import { Select, TextInput } from "../../ui/forms";
import { useResource } from "../../ui/resource";
import { Async } from "../../ui/States";
import { ColumnHeads, Pager, TableBox } from "../../ui/Table";

const FILTERS = ["action", "actor_id", "target_type", "target_id", "from", "to"] as const;
type Filters = Record<(typeof FILTERS)[number], string>;

/** The audit trail, newest first; the filters live in the address, so a view can be shared. */
export function Audit({ route }: ScreenProps) {
  const q = route.query;
  const filters = Object.fromEntries(FILTERS.map((k) => [k, q.get(k) ?? ""])) as Filters;
  const page = Number(q.get("page") ?? "1") || 1;
  const key = q.toString();
  const events = useResource(
    () =>
      api.audit({
        action: filters.action,
        actor_id: filters.actor_id,
        target_type: filters.target_type,
        target_id: filters.target_id,
        from: dayStart(filters.from),
        to: dayStart(filters.to, true),
        page,
        per_page: 50,
      }),
    [key],
  );
  const users = useResource(() => api.users(), []);
  return (
    <section data-testid="audit">
      <h1>{t("audit.title")}</h1>
      <p class="cn-muted">{t("audit.intro")}</p>
      <AuditFilters
        key={key}
        filters={filters}
        users={(users.data ?? []).map((u) => ({ value: u.id, label: u.username }))}
        onApply={(next) => setQuery({ ...next, page: undefined })}
      />
      <Async resource={events}>
        {(data) => (
          <>
            <TableBox caption={t("audit.title")} testid="audit-table">
              <ColumnHeads
                columns={[
                  t("audit.col.at"),
                  t("audit.col.actor"),
                  t("audit.col.action"),
                  t("audit.col.target"),
                  t("audit.col.details"),
                  t("audit.col.ip"),
                ]}
              />
              <tbody>
                {data.items.map((e) => (
                  <EventRow key={e.id} event={e} />
                ))}
                {data.items.length === 0 && (
                  <tr>
                    <td colSpan={6}>{t("audit.none")}</td>
                  </tr>
                )}
              </tbody>
            </TableBox>
            <Pager
              page={data.page}
              pages={data.pages}
              total={data.total}
              onPage={(n) => setQuery({ page: n })}
            />
          </>
        )}
      </Async>
    </section>
  );
}

function EventRow({ event: e }: { event: AuditEvent }) {
  const details = detailParts(e.details, (k) => {
    const key = `audit.detail.${k}`;
    return hasMessage(key) ? t(key) : k;
  });
  return (
    <tr data-testid="audit-row" data-action={e.action}>
      <td>{fmtDateTime(e.at)}</td>
      <th scope="row">{e.actor_username ?? t("audit.system")}</th>
      <td>{actionName(e.action)}</td>
      <td>
        {e.target_type && e.target_id ? (
          <button
            type="button"
            class="cn-link"
            title={e.target_id}
            onClick={() =>
              setQuery({ target_type: e.target_type, target_id: e.target_id, page: undefined })
            }
          >
            {targetName(e.target_type)} {e.target_id.slice(0, 8)}
          </button>
        ) : (
          "–"
        )}
      </td>
      <td>{details.join(" · ")}</td>
      <td>{e.ip ?? ""}</td>
    </tr>
  );
}

function actionName(code: string): string {
  const key = `audit.action.${code}`;
  return hasMessage(key) ? t(key) : code;
}

function targetName(type: string): string {
  const key = `audit.target.${type}`;
  return hasMessage(key) ? t(key) : type;
}

function actionOptions() {
  const areas = Object.keys(AUDIT_ACTIONS) as AuditArea[];
  return [
    { value: "", label: t("console.all") },
    ...areas.flatMap((area) => [
      { value: area, label: t("audit.group", { name: t(`audit.area.${area}`) }) },
      ...AUDIT_ACTIONS[area].map((what) => ({
        value: `${area}.${what}`,
        label: `· ${actionName(`${area}.${what}`)}`,
      })),
    ]),
  ];
}

function AuditFilters({
  filters,
  users,
  onApply,
}: {
  filters: Filters;
  users: { value: string; label: string }[];
  onApply: (filters: Record<string, string | undefined>) => void;
}) {
  const [f, setF] = useState<Filters>(filters);
  const set = (name: keyof Filters) => (value: string) => setF((v) => ({ ...v, [name]: value }));
  return (
    <form
      class="cn-panel"
      aria-label={t("audit.title")}
      data-testid="audit-filters"
      onSubmit={(event) => {
        event.preventDefault();
        onApply(
          Object.fromEntries(FILTERS.map((k) => [k, f[k].trim() || undefined])) as Record<
            string,
            string | undefined
          >,
        );
      }}
    >
      <div class="cn-form-grid">
        <Select
          label={t("audit.filter.action")}
          name="action"
          value={f.action}
          onValue={set("action")}
          options={actionOptions()}
        />
        <Select
          label={t("audit.filter.actor")}
          name="actor_id"
          value={f.actor_id}
          onValue={set("actor_id")}
          options={[{ value: "", label: t("console.all") }, ...users]}
        />
        <Select
          label={t("audit.filter.targetType")}
          name="target_type"
          value={f.target_type}
          onValue={set("target_type")}
          options={[
            { value: "", label: t("console.all") },
            ...AUDIT_TARGETS.map((x) => ({ value: x, label: targetName(x) })),
          ]}
        />
        <TextInput
          label={t("audit.filter.targetId")}
          name="target_id"
          value={f.target_id}
          onValue={set("target_id")}
        />
        <TextInput
          label={t("audit.filter.from")}
          name="from"
          type="date"
          value={f.from}
          onValue={set("from")}
        />
        <TextInput
          label={t("audit.filter.to")}
          name="to"
          type="date"
          value={f.to}
          onValue={set("to")}
        />
      </div>
      <p class="cn-actions">
        <button type="submit" class="cn-button" data-testid="audit-apply">
          {t("audit.filter.apply")}
        </button>
        <button
          type="button"
          class="cn-button cn-secondary"
          onClick={() => onApply(Object.fromEntries(FILTERS.map((k) => [k, undefined])))}
        >
          {t("audit.filter.clear")}
        </button>
      </p>
    </form>
  );
}
