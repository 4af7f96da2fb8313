import { useMemo, useState } from "preact/hooks";
import { api } from "../api";
import type { ChartOption } from "../charts/echarts";
import { fmtMoney, fmtNumber, locale, t } from "../i18n";
import { href } from "../router";
import type { ScreenProps } from "../screens";
import type { Campaign, FunnelRow, Job, Segment } from "../types";
import { Chart } from "../ui/Chart";
import { JobProgress } from "../ui/JobProgress";
import { rangeText } from "../ui/Pickers";
import { useResource } from "../ui/resource";
import { Async, errorText, Notice } from "../ui/States";
import { ColumnHeads, TableBox } from "../ui/Table";
import { word } from "./AtRisk";
import { CampaignForm } from "./CampaignEdit";

export function segmentWords(segment: Segment): string[] {
  const words: string[] = [];
  if (segment.tiers?.length)
    words.push(
      t("camp.segment.tiers", { list: segment.tiers.map((c) => word("tier", c)).join("、") }),
    );
  if (segment.stages?.length)
    words.push(
      t("camp.segment.stages", { list: segment.stages.map((c) => word("stage", c)).join("、") }),
    );
  if (segment.open_warning === true) words.push(t("camp.segment.warning"));
  if (segment.open_warning === false) words.push(t("camp.segment.noWarning"));
  if (segment.spend_min || segment.spend_max)
    words.push(
      t("camp.segment.spend", {
        from: segment.spend_min ? fmtMoney(segment.spend_min) : "0",
        to: segment.spend_max ? fmtMoney(segment.spend_max) : "∞",
      }),
    );
  if (segment.customer_ids?.length)
    words.push(t("camp.segment.customers", { count: fmtNumber(segment.customer_ids.length) }));
  return words.length ? words : [t("camp.segment.everyone")];
}

export function CampaignDetail({ route, user }: ScreenProps) {
  const id = route.params["id"]!;
  const campaign = useResource(() => api.campaign(id), [id]);
  return (
    <section data-testid="campaign-detail">
      <p>
        <a href={href("campaigns")}>← {t("camp.back")}</a>
      </p>
      <Async resource={campaign}>
        {(c) => <Detail campaign={c} user={user} reload={campaign.reload} />}
      </Async>
      {campaign.state === "error" && <h1 class="cn-sr">{t("console.notFound.title")}</h1>}
    </section>
  );
}

function Detail({
  campaign: c,
  user,
  reload,
}: {
  campaign: Campaign;
  user: ScreenProps["user"];
  reload: () => void;
}) {
  const [editing, setEditing] = useState(false);
  const [job, setJob] = useState<Job | null>(null);
  const [launched, setLaunched] = useState<number | null>(null);
  const [confirmClose, setConfirmClose] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const preview = useResource(
    () => (c.status === "draft" ? api.preview(c.id) : Promise.resolve(null)),
    [c.id, c.version, c.status],
  );
  const funnel = useResource(
    () => (c.status === "draft" ? Promise.resolve(null) : api.funnel(c.id)),
    [c.id, c.status, launched],
  );

  async function act(action: () => Promise<unknown>) {
    setBusy(true);
    setError(null);
    try {
      await action();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  if (editing) {
    return (
      <>
        <h1>{t("camp.editTitle")}</h1>
        <CampaignForm
          user={user}
          campaign={c}
          onSaved={() => {
            setEditing(false);
            reload();
          }}
        />
      </>
    );
  }

  return (
    <>
      <h1>{c.name}</h1>
      <section class="cn-panel" data-testid="campaign-summary" data-status={c.status}>
        <dl class="cn-kv">
          <dt>{t("camp.status")}</dt>
          <dd data-testid="campaign-status">{t(`camp.status.${c.status}`)}</dd>
          <dt>{t("camp.kind")}</dt>
          <dd>{t(`camp.kind.${c.kind}`)}</dd>
          <dt>{t("camp.col.dates")}</dt>
          <dd>{rangeText(c.starts_on, c.ends_on)}</dd>
          <dt>{t("camp.offer")}</dt>
          <dd>{c.offer}</dd>
          <dt>{t("camp.segmentOf")}</dt>
          <dd>{segmentWords(c.segment).join(" · ")}</dd>
        </dl>
        <p class="cn-actions">
          {c.status === "draft" && (
            <>
              <button type="button" class="cn-button cn-secondary" onClick={() => setEditing(true)}>
                {t("camp.edit")}
              </button>
              <button
                type="button"
                class="cn-button"
                disabled={busy || job !== null}
                data-testid="launch"
                onClick={() => void act(async () => setJob(await api.launch(c.id)))}
              >
                {t("camp.launch")}
              </button>
            </>
          )}
          {c.status === "launched" && !confirmClose && (
            <button
              type="button"
              class="cn-button cn-secondary"
              onClick={() => setConfirmClose(true)}
            >
              {t("camp.close")}
            </button>
          )}
        </p>
        {confirmClose && c.status === "launched" && (
          <p class="cn-actions" role="group" aria-label={t("camp.close")}>
            <span>{t("camp.closeConfirm")}</span>
            <button
              type="button"
              class="cn-button cn-danger"
              disabled={busy}
              data-testid="close-confirm"
              onClick={() =>
                void act(async () => {
                  await api.closeCampaign(c.id);
                  setConfirmClose(false);
                  reload();
                })
              }
            >
              {t("camp.close")}
            </button>
            <button
              type="button"
              class="cn-button cn-secondary"
              onClick={() => setConfirmClose(false)}
            >
              {t("console.cancel")}
            </button>
          </p>
        )}
        {job && (
          <>
            <p>{t("camp.launching")}</p>
            <JobProgress
              job={job}
              onDone={(finished) => {
                if (finished.status === "done") {
                  setLaunched(Number((finished.result ?? {})["targets"] ?? 0));
                  reload();
                }
              }}
            />
          </>
        )}
        {launched !== null && (
          <Notice kind="ok">{t("camp.launched", { count: fmtNumber(launched) })}</Notice>
        )}
        {error !== null && <Notice kind="error">{errorText(error)}</Notice>}
      </section>
      {c.status === "draft" && (
        <section class="cn-panel" aria-labelledby="preview-title" data-testid="campaign-preview">
          <h2 id="preview-title">{t("camp.preview")}</h2>
          <Async resource={preview}>
            {(p) =>
              p && (
                <>
                  <p data-testid="preview-count" data-count={p.targets}>
                    {t("camp.previewCount", { count: fmtNumber(p.targets) })}
                  </p>
                  <ul>
                    {p.managers.map((m) => (
                      <li key={m.manager.id}>
                        {t("camp.previewManager", {
                          name: m.manager.display_name,
                          count: fmtNumber(m.targets),
                        })}
                      </li>
                    ))}
                  </ul>
                </>
              )
            }
          </Async>
        </section>
      )}
      {c.status !== "draft" && (
        <Async resource={funnel}>
          {(f) => f && <FunnelView total={f.total} teams={f.teams} managers={f.managers} />}
        </Async>
      )}
    </>
  );
}

const STEPS = ["targets", "reached", "took_part", "contracted"] as const;
const COLUMNS = [
  "targets",
  "reached",
  "offered",
  "took_part",
  "contracted",
  "declined",
  "not_reached",
  "pending",
] as const;

function FunnelView({
  total,
  teams,
  managers,
}: {
  total: FunnelRow;
  teams: FunnelRow[];
  managers: FunnelRow[];
}) {
  const option = useMemo<ChartOption>(
    () => ({
      grid: { left: 8, right: 24, top: 8, bottom: 8, containLabel: true },
      tooltip: { trigger: "axis" },
      yAxis: { type: "category", inverse: true, data: STEPS.map((s) => t(`camp.col.${s}`)) },
      xAxis: { type: "value", minInterval: 1 },
      series: [{ type: "bar", data: STEPS.map((s) => total[s]), itemStyle: { color: "#1f4e79" } }],
    }),
    [total, locale()],
  );
  const table = (rows: FunnelRow[], caption: string, testid: string) => (
    <TableBox caption={caption} testid={testid}>
      <ColumnHeads
        columns={[t("camp.col.who"), ...COLUMNS.map((col) => ({ numeric: t(`camp.col.${col}`) }))]}
      />
      <tbody>
        {rows.map((row) => (
          <tr key={row.key}>
            <th scope="row">{row.label}</th>
            {COLUMNS.map((col) => (
              <td key={col} class="cn-num">
                {fmtNumber(row[col])}
              </td>
            ))}
          </tr>
        ))}
      </tbody>
    </TableBox>
  );
  return (
    <section aria-labelledby="funnel-title" data-testid="funnel" data-targets={total.targets}>
      <h2 id="funnel-title">{t("camp.funnel")}</h2>
      <div class="cn-panel">
        <p class="cn-muted">{t("camp.funnelHint")}</p>
        <Chart
          option={option}
          height={200}
          label={t("camp.funnelLabel", {
            targets: total.targets,
            reached: total.reached,
            took_part: total.took_part,
            contracted: total.contracted,
          })}
          testid="chart-funnel"
        />
      </div>
      {teams.length > 1 && table(teams, t("camp.funnelTeams"), "funnel-teams")}
      <h3>{t("camp.funnelManagers")}</h3>
      {table(managers, t("camp.funnelManagers"), "funnel-managers")}
    </section>
  );
}
