import { useState } from "preact/hooks";
import { api } from "../api";
import { fmtMoney, fmtNumber, t } from "../i18n";
import type { ScreenProps } from "../screens";
import type { AssignResult, Load, Rebalance as Proposal } from "../types";
import { CheckThenApply, WriteError } from "../ui/forms";
import { Notice } from "../ui/States";
import { ColumnHeads, TableBox } from "../ui/Table";
import { managersOf, teamOf } from "./Dashboard";
import { AssignArea, MovePreview, ReasonInput, useTeamMembers, activeManagers } from "./Assign";
import { word } from "./AtRisk";

interface Row {
  customerId: string;
  name: string;
  tier: string;
  from: string | null;
  to: string;
  value: number | string;
  workload: number;
  keep: boolean;
}

/** The server's proposal to even out the team, edited by the lead, applied in one go. */
export function Rebalance({ route, user }: ScreenProps) {
  const teamId = teamOf(user, route.query);
  const teams = useTeamMembers(teamId);
  const [proposal, setProposal] = useState<Proposal | null>(null);
  const [rows, setRows] = useState<Row[]>([]);
  const [reason, setReason] = useState("");
  const [check, setCheck] = useState<AssignResult | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState<number | null>(null);
  const managers = activeManagers(teams.data);
  const name = (id: string | null) =>
    id === null
      ? t("assign.pool")
      : (managersOf(teams.data ?? []).find((m) => m.id === id)?.display_name ?? id);
  const chosen = rows.filter((r) => r.keep && r.to !== r.from);

  async function propose() {
    setBusy(true);
    setError(null);
    setDone(null);
    setCheck(null);
    try {
      const answer = await api.rebalance(teamId);
      setProposal(answer);
      setRows(
        answer.moves.map((m) => ({
          customerId: m.customer.id,
          name: m.customer.name,
          tier: m.customer.tier,
          from: m.from_manager_id,
          to: m.to_manager_id,
          value: m.value,
          workload: m.workload,
          keep: true,
        })),
      );
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  async function apply(dryRun: boolean) {
    setBusy(true);
    setError(null);
    try {
      const result = await api.reassign({
        moves: chosen.map((r) => ({ customer_id: r.customerId, manager_id: r.to })),
        reason: reason.trim(),
        dry_run: dryRun,
      });
      if (dryRun) setCheck(result);
      else {
        setDone(result.assigned);
        setProposal(null);
        setRows([]);
        setCheck(null);
        teams.reload();
      }
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  const edit = (index: number, patch: Partial<Row>) => {
    setRows((current) => current.map((r, i) => (i === index ? { ...r, ...patch } : r)));
    setCheck(null);
  };

  return (
    <AssignArea
      current="rebalance"
      title={t("rebalance.title")}
      user={user}
      teamId={teamId}
      oneTeam
    >
      <p>{t("rebalance.explain")}</p>
      <p>
        <button
          type="button"
          class="cn-button"
          disabled={busy}
          onClick={() => void propose()}
          data-testid="propose"
        >
          {t("rebalance.propose")}
        </button>
      </p>
      {done !== null && (
        <Notice kind="ok">{t("rebalance.done", { count: fmtNumber(done) })}</Notice>
      )}
      {proposal && proposal.moves.length === 0 && <p role="status">{t("rebalance.none")}</p>}
      {proposal && proposal.moves.length > 0 && (
        <>
          <Loads before={proposal.before} after={proposal.after} />
          <h2>{t("rebalance.moves", { count: fmtNumber(rows.length) })}</h2>
          <TableBox caption={t("rebalance.moves", { count: rows.length })} testid="rebalance-moves">
            <ColumnHeads
              columns={[
                t("rebalance.col.keep"),
                t("rebalance.col.customer"),
                t("assign.col.tier"),
                t("rebalance.col.from"),
                t("rebalance.col.to"),
                { numeric: t("rebalance.col.value") },
                { numeric: t("rebalance.col.workload") },
              ]}
            />
            <tbody>
              {rows.map((r, i) => (
                <tr key={r.customerId} aria-selected={r.keep}>
                  <td>
                    <input
                      type="checkbox"
                      checked={r.keep}
                      aria-label={t("rebalance.keepRow", { name: r.name })}
                      onChange={(e) => edit(i, { keep: e.currentTarget.checked })}
                    />
                  </td>
                  <th scope="row">{r.name}</th>
                  <td>{word("tier", r.tier)}</td>
                  <td>{name(r.from)}</td>
                  <td>
                    <select
                      aria-label={t("rebalance.toFor", { name: r.name })}
                      value={r.to}
                      onChange={(e) => edit(i, { to: e.currentTarget.value })}
                    >
                      {managers.map((m) => (
                        <option key={m.id} value={m.id}>
                          {m.display_name}
                        </option>
                      ))}
                    </select>
                  </td>
                  <td class="cn-num">{fmtMoney(r.value)}</td>
                  <td class="cn-num">{fmtNumber(r.workload)}</td>
                </tr>
              ))}
            </tbody>
          </TableBox>
          <div class="cn-toolbar">
            <ReasonInput
              value={reason}
              error={error}
              onValue={(v) => {
                setReason(v);
                setCheck(null);
              }}
            />
            <CheckThenApply
              check={t("rebalance.check", { count: fmtNumber(chosen.length) })}
              apply={t("rebalance.apply", { count: fmtNumber(chosen.length) })}
              checked={check !== null}
              busy={busy}
              canCheck={chosen.length > 0}
              onRun={(dryRun) => void apply(dryRun)}
            />
          </div>
          {check && <MovePreview result={check} managers={managers} />}
        </>
      )}
      <WriteError error={error} fields={["reason"]} />
    </AssignArea>
  );
}

function Loads({ before, after }: { before: Load[]; after: Load[] }) {
  const later = new Map(after.map((l) => [l.manager.id, l]));
  return (
    <TableBox caption={t("rebalance.loads")} testid="rebalance-loads">
      <ColumnHeads
        columns={[
          t("rebalance.col.manager"),
          ...(["customers", "value", "workload"] as const).flatMap((what) =>
            (["before", "after"] as const).map((when) => ({
              numeric: `${t(`rebalance.${when}`)}: ${t(`rebalance.col.${what}`)}`,
            })),
          ),
        ]}
      />
      <tbody>
        {before.map((b) => {
          const a = later.get(b.manager.id);
          return (
            <tr key={b.manager.id}>
              <th scope="row">{b.manager.display_name}</th>
              <td class="cn-num">{fmtNumber(b.customers)}</td>
              <td class="cn-num">{a ? fmtNumber(a.customers) : "–"}</td>
              <td class="cn-num">{fmtMoney(b.value)}</td>
              <td class="cn-num">{a ? fmtMoney(a.value) : "–"}</td>
              <td class="cn-num">{fmtNumber(b.workload)}</td>
              <td class="cn-num">{a ? fmtNumber(a.workload) : "–"}</td>
            </tr>
          );
        })}
      </tbody>
    </TableBox>
  );
}
