import { useState } from "preact/hooks";
import { api } from "../api";
import { fmtMoney, fmtNumber, t } from "../i18n";
import type { ScreenProps } from "../screens";
import type { HandoverResult } from "../types";
import { CheckThenApply, fieldError, Select, WriteError } from "../ui/forms";
import { Notice } from "../ui/States";
import { ColumnHeads, TableBox } from "../ui/Table";
import { managersOf, teamOf } from "./Dashboard";
import { AssignArea, MovePreview, ReasonInput, TeamCapacity, useTeamMembers } from "./Assign";

/** A manager leaving: their whole portfolio to the rest of the team, in balanced shares. */
export function Handover({ route, user }: ScreenProps) {
  const teamId = teamOf(user, route.query);
  const teams = useTeamMembers(teamId);
  const [manager, setManager] = useState("");
  const [reason, setReason] = useState("");
  const [preview, setPreview] = useState<HandoverResult | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState<number | null>(null);
  const members = managersOf(teams.data ?? []);

  async function run(dryRun: boolean) {
    setBusy(true);
    setError(null);
    setDone(null);
    try {
      const result = await api.handover(teamId, {
        manager_id: manager,
        reason: reason.trim(),
        dry_run: dryRun,
      });
      if (dryRun) setPreview(result);
      else {
        setPreview(null);
        setDone(result.assigned);
        teams.reload();
      }
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  const after = (id: string, size: number | null) => {
    if (!preview || size === null) return null;
    if (id === manager) return size - preview.assigned;
    return size + (preview.shares.find((s) => s.manager.id === id)?.customers ?? 0);
  };

  return (
    <AssignArea current="handover" title={t("handover.title")} user={user} teamId={teamId} oneTeam>
      <div class="cn-split">
        <div class="cn-panel">
          <p>{t("handover.explain")}</p>
          <div class="cn-form">
            <Select
              label={t("handover.manager")}
              name="manager"
              value={manager}
              error={fieldError(error, "manager_id")}
              onValue={(v) => {
                setManager(v);
                setPreview(null);
              }}
              options={[
                { value: "", label: t("console.unpicked") },
                ...members.map((m) => ({
                  value: m.id,
                  label: `${m.display_name} (${m.portfolio_size ?? 0})`,
                })),
              ]}
            />
            <ReasonInput
              value={reason}
              error={error}
              onValue={(v) => {
                setReason(v);
                setPreview(null);
              }}
            />
            <p class="cn-actions">
              <CheckThenApply
                check={t("handover.check")}
                apply={t("handover.confirm", { count: fmtNumber(preview?.assigned ?? 0) })}
                checked={preview !== null}
                busy={busy}
                onRun={(dryRun) => void run(dryRun)}
              />
            </p>
          </div>
          {preview && (
            <>
              <MovePreview
                result={{
                  assigned: preview.assigned,
                  unchanged: 0,
                  dry_run: true,
                  warnings: preview.warnings,
                }}
                managers={members}
                count={t("handover.preview", { count: fmtNumber(preview.assigned) })}
              />
              <TableBox caption={t("handover.shares")} testid="handover-shares">
                <ColumnHeads
                  columns={[
                    t("handover.col.manager"),
                    { numeric: t("handover.col.customers") },
                    { numeric: t("handover.col.value") },
                  ]}
                />
                <tbody>
                  {preview.shares.map((s) => (
                    <tr key={s.manager.id}>
                      <th scope="row">{s.manager.display_name}</th>
                      <td class="cn-num">{fmtNumber(s.customers)}</td>
                      <td class="cn-num">{fmtMoney(s.value)}</td>
                    </tr>
                  ))}
                </tbody>
              </TableBox>
            </>
          )}
          <WriteError error={error} fields={["manager_id", "reason"]} />
          {done !== null && (
            <Notice kind="ok">{t("handover.done", { count: fmtNumber(done) })}</Notice>
          )}
        </div>
        <aside class="cn-panel">
          <h2>{t("assign.capacity")}</h2>
          <TeamCapacity teams={teams} after={(m) => after(m.id, m.portfolio_size)} />
        </aside>
      </div>
    </AssignArea>
  );
}
