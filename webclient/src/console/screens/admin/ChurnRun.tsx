import { useState } from "preact/hooks";
import { api } from "../../api";
import { fmtDateTime, fmtFixed, fmtNumber, locale, t } from "../../i18n";
import { featureName, ruleText } from "../../lib/churnRules";
import { auc, monthSpan, pct } from "../../lib/churnFigures";
import { href } from "../../router";
import type { ScreenProps } from "../../screens";
import type { AtK, ChurnModelKind, ChurnRunDetail as Run } from "../../types";
import { Select } from "../../ui/forms";
import { useResource } from "../../ui/resource";
import { Async } from "../../ui/States";
import { ColumnHeads, TableBox } from "../../ui/Table";
import { churnWord, MODEL_KINDS, RunStatus } from "./Churn";

/** One training run as recorded: its months and settings, figures, rules and importances. */
export function ChurnRunDetail({ route }: ScreenProps) {
  const id = route.params["id"] ?? "";
  const run = useResource(() => api.churnRun(id), [id]);
  return (
    <section data-testid="churn-run-detail">
      <p>
        <a href={href("churn")}>{t("churn.back")}</a>
      </p>
      <Async resource={run}>{(data) => <RunView run={data} />}</Async>
    </section>
  );
}

function RunView({ run }: { run: Run }) {
  const m = run.metrics;
  const s = run.settings;
  return (
    <>
      <h1>{t("churn.run.title", { date: fmtDateTime(run.created_at) })}</h1>
      <p>
        {churnWord("segment", run.segment)} · <RunStatus run={run} /> ·{" "}
        {run.created_by?.display_name ?? t("churn.cli")}
      </p>
      <p class="cn-muted">
        {t("churn.run.months", {
          train: monthSpan(run.trained_from, run.trained_to),
          trainRows: fmtNumber(m.rows.train),
          trainLeft: fmtNumber(m.rows.train_leavers),
          test: monthSpan(run.tested_from, run.tested_to),
          testRows: fmtNumber(m.rows.test),
          testLeft: fmtNumber(m.rows.test_leavers),
        })}
      </p>
      <p class="cn-muted">
        {t("churn.run.settings", {
          members: s.members
            .map((k) => churnWord("model", k))
            .join(locale() === "en" ? ", " : "、"),
          combine: churnWord("combine", s.combine),
          depth: s.tree_depth,
          seed: s.seed,
          window: run.window_months,
          k: run.warnings_per_manager,
        })}
      </p>
      <Metrics run={run} />
      <Calibration run={run} />
      <Rules run={run} />
      <Importances run={run} />
    </>
  );
}

function Metrics({ run }: { run: Run }) {
  const m = run.metrics;
  const row = (
    key: string,
    name: string,
    figure: { auc: number | null; at_k: AtK },
    brier: number | null,
    member = false,
  ) => (
    <tr key={key} data-testid="churn-metric" data-model={key}>
      <th scope="row">
        {name}
        {member && <span class="cn-muted"> · {t("churn.metrics.member")}</span>}
      </th>
      <td class="cn-num">{auc(figure.auc)}</td>
      <td class="cn-num">{pct(figure.at_k.precision)}</td>
      <td class="cn-num">{pct(figure.at_k.recall)}</td>
      <td class="cn-num">{fmtFixed(figure.at_k.lift, 2)}</td>
      <td class="cn-num">{fmtNumber(figure.at_k.flagged)}</td>
      <td class="cn-num">{brier === null ? "–" : fmtFixed(brier, 3)}</td>
    </tr>
  );
  const same = m.combination.at_rules_count;
  return (
    <section>
      <h2 id="churn-metrics">{t("churn.metrics")}</h2>
      <TableBox caption={t("churn.metrics")} testid="churn-metrics-table">
        <ColumnHeads
          columns={[
            t("churn.metrics.model"),
            { numeric: t("churn.metrics.auc") },
            { numeric: t("churn.metrics.precision") },
            { numeric: t("churn.metrics.recall") },
            { numeric: t("churn.metrics.lift") },
            { numeric: t("churn.metrics.flagged") },
            { numeric: t("churn.metrics.brier") },
          ]}
        />
        <tbody>
          {MODEL_KINDS.filter((k) => m.models[k]).map((k) =>
            row(
              k,
              churnWord("model", k),
              m.models[k],
              m.models[k].calibration.brier,
              run.settings.members.includes(k),
            ),
          )}
          {row("combination", churnWord("combine", run.settings.combine), m.combination, null)}
          {row("rules", t("churn.model.rules"), m.rules, null)}
        </tbody>
      </TableBox>
      {same && (
        <p class="cn-muted">
          {t("churn.metrics.sameLoad", {
            flagged: fmtNumber(same.flagged),
            precision: pct(same.precision),
            recall: pct(same.recall),
          })}
        </p>
      )}
    </section>
  );
}

function Calibration({ run }: { run: Run }) {
  const [kind, setKind] = useState<ChurnModelKind>("tree");
  const model = run.metrics.models[kind];
  return (
    <section>
      <h2 id="churn-calibration">{t("churn.calibration")}</h2>
      <p class="cn-muted">{t("churn.calibration.intro")}</p>
      <div class="cn-toolbar">
        <Select
          label={t("churn.metrics.model")}
          name="calibration-model"
          value={kind}
          onValue={(v) => setKind(v as ChurnModelKind)}
          options={MODEL_KINDS.map((k) => ({ value: k, label: churnWord("model", k) }))}
        />
      </div>
      {model && (
        <TableBox caption={t("churn.calibration")} testid="churn-calibration">
          <ColumnHeads
            columns={[
              t("churn.calibration.bin"),
              { numeric: t("churn.calibration.rows") },
              { numeric: t("churn.calibration.predicted") },
              { numeric: t("churn.calibration.left") },
            ]}
          />
          <tbody>
            {model.calibration.bins.map((bin) => (
              <tr key={bin.from}>
                <th scope="row">
                  {pct(bin.from)} – {pct(Math.min(1, bin.from + 0.1))}
                </th>
                <td class="cn-num">{fmtNumber(bin.rows)}</td>
                <td class="cn-num">{pct(bin.predicted)}</td>
                <td class="cn-num">{pct(bin.left)}</td>
              </tr>
            ))}
          </tbody>
        </TableBox>
      )}
    </section>
  );
}

function Rules({ run }: { run: Run }) {
  const separator = locale() === "en" ? "; " : "；";
  return (
    <section>
      <h2 id="churn-rules">{t("churn.rules")}</h2>
      <p class="cn-muted">{t("churn.rules.intro")}</p>
      <TableBox caption={t("churn.rules")} testid="churn-rules">
        <ColumnHeads
          columns={[
            t("churn.rules.rule"),
            { numeric: t("churn.rules.rows") },
            { numeric: t("churn.rules.left") },
          ]}
        />
        <tbody>
          {run.rules.map((rule, i) => (
            <tr key={i} data-testid="churn-rule">
              <td>{ruleText(rule.conditions, separator)}</td>
              <td class="cn-num">{fmtNumber(rule.rows)}</td>
              <td class="cn-num">{pct(rule.left_share)}</td>
            </tr>
          ))}
        </tbody>
      </TableBox>
    </section>
  );
}

function Importances({ run }: { run: Run }) {
  // Largest first (a JSON object's keys come sorted by name).
  const entries = Object.entries(run.importances.tree ?? {}).sort(([, a], [, b]) => b - a);
  const top = Math.max(...entries.map(([, v]) => v), 0) || 1;
  return (
    <section>
      <h2 id="churn-importances">{t("churn.importances")}</h2>
      <p class="cn-muted">{t("churn.importances.intro")}</p>
      <ul class="cn-bars" data-testid="churn-importances">
        {entries.map(([feature, value]) => (
          <li key={feature}>
            <span class="cn-bar-name">{featureName(feature)}</span>
            <span class="cn-bar-track" aria-hidden="true">
              <span class="cn-bar-fill" style={{ width: `${(value / top) * 100}%` }} />
            </span>
            <span class="cn-bar-value">{pct(value)}</span>
          </li>
        ))}
      </ul>
    </section>
  );
}
