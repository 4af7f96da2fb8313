import { api } from "../../api";
import { fmtDateTime, fmtNumber, t } from "../../i18n";
import { setQuery } from "../../router";
import type { ScreenProps } from "../../screens";
import type { FailedMutation } from "../../types";
import { Select } from "../../ui/forms";
import { useResource } from "../../ui/resource";
import { Async } from "../../ui/States";
import { ColumnHeads, TableBox } from "../../ui/Table";

const STATUSES = ["failed", "retrying", "settled"] as const;

/** Phone changes the server failed to apply (GET /sync/failed), newest first. */
export function SyncFailed({ route }: ScreenProps) {
  const status = route.query.get("status") ?? "failed";
  const failed = useResource(() => api.syncFailed({ status }), [status]);
  return (
    <section data-testid="sync-failed">
      <h1>{t("syncFailed.title")}</h1>
      <p class="cn-muted">{t("syncFailed.intro")}</p>
      <Select
        label={t("syncFailed.filter")}
        name="status"
        value={status}
        options={STATUSES.map((s) => ({ value: s, label: t(`syncFailed.status.${s}`) }))}
        onValue={(value) => setQuery({ status: value })}
      />
      <Async resource={failed}>
        {(data) => (
          <TableBox caption={t("syncFailed.title")} testid="sync-failed-table">
            <ColumnHeads
              columns={[
                t("syncFailed.col.when"),
                t("syncFailed.col.user"),
                t("syncFailed.col.change"),
                { numeric: t("syncFailed.col.attempts") },
                t("syncFailed.col.error"),
                t("syncFailed.col.sent"),
              ]}
            />
            <tbody>
              {data.items.map((m) => (
                <Row key={m.id} failed={m} />
              ))}
              {data.items.length === 0 && (
                <tr>
                  <td colSpan={6}>{t("syncFailed.none")}</td>
                </tr>
              )}
            </tbody>
          </TableBox>
        )}
      </Async>
    </section>
  );
}

function Row({ failed: m }: { failed: FailedMutation }) {
  return (
    <tr data-testid="sync-failed-row">
      <td>{fmtDateTime(m.last_failed_at)}</td>
      <th scope="row">{m.username}</th>
      <td>
        {m.name} #{fmtNumber(m.seq)}
      </td>
      <td class="cn-num">{fmtNumber(m.attempts)}</td>
      <td>{m.error}</td>
      <td>
        <details>
          <summary>{m.mutation_id.slice(0, 8)}</summary>
          <pre>{JSON.stringify(m.args, null, 2)}</pre>
        </details>
      </td>
    </tr>
  );
}
