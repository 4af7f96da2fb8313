import { useState } from "preact/hooks";
import { api } from "../api";
import { fmtMoney, fmtNumber, t } from "../i18n";
import { setQuery } from "../router";
import type { ScreenProps } from "../screens";
import type { HandoverResult } from "../types";
import { CapacityBar } from "../ui/Capacity";
import { fieldError, Select, TextInput } from "../ui/forms";
import { TeamPicker } from "../ui/Pickers";
import { Async, errorText, Notice } from "../ui/States";
import { TableBox } from "../ui/Table";
import { managersOf, teamOf } from "./Dashboard";
import { AssignTabs, MovePreview, useTeamMembers } from "./Assign";

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
  const problem =
    error !== null && !fieldError(error, "manager_id") && !fieldError(error, "reason");

  return (
    <section data-testid="handover">
      <h1>{t("handover.title")}</h1>
      <AssignTabs current="handover" teamId={teamId} />
      <div class="cn-toolbar">
        <TeamPicker
          user={user}
          value={teamId}
          allowAll={false}
          onValue={(team) => setQuery({ team })}
        />
      </div>
      {!teamId ? (
        <p>{t("assign.pickTeam")}</p>
      ) : (
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
              <TextInput
                label={t("assign.reason")}
                name="reason"
                value={reason}
                error={fieldError(error, "reason")}
                onValue={(v) => {
                  setReason(v);
                  setPreview(null);
                }}
              />
              <p class="cn-actions">
                <button
                  type="button"
                  class="cn-button cn-secondary"
                  disabled={busy}
                  onClick={() => void run(true)}
                >
                  {t("handover.check")}
                </button>
                <button
                  type="button"
                  class="cn-button"
                  disabled={busy || preview === null}
                  onClick={() => void run(false)}
                >
                  {t("handover.confirm", { count: fmtNumber(preview?.assigned ?? 0) })}
                </button>
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
                  <thead>
                    <tr>
                      <th scope="col">{t("handover.col.manager")}</th>
                      <th scope="col" class="cn-num">
                        {t("handover.col.customers")}
                      </th>
                      <th scope="col" class="cn-num">
                        {t("handover.col.value")}
                      </th>
                    </tr>
                  </thead>
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
            {problem && <Notice kind="error">{errorText(error)}</Notice>}
            {done !== null && (
              <Notice kind="ok">{t("handover.done", { count: fmtNumber(done) })}</Notice>
            )}
          </div>
          <aside class="cn-panel">
            <h2>{t("assign.capacity")}</h2>
            <Async resource={teams}>
              {(details) =>
                managersOf(details).map((m) => (
                  <CapacityBar
                    key={m.id}
                    name={m.display_name}
                    size={m.portfolio_size}
                    capacity={m.capacity}
                    after={after(m.id, m.portfolio_size)}
                  />
                ))
              }
            </Async>
          </aside>
        </div>
      )}
    </section>
  );
}
