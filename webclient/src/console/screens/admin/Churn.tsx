import { useState } from "preact/hooks";
import { api } from "../../api";
import { fmtDateTime, fmtNumber, hasMessage, t } from "../../i18n";
import { auc, monthSpan, pct, vsRules } from "../../lib/churnFigures";
import { href, setQuery } from "../../router";
import type { ScreenProps } from "../../screens";
import type { ChurnCombine, ChurnModelKind, ChurnRun, Job } from "../../types";
import { Check, fieldError, Select, TextInput, WriteError } from "../../ui/forms";
import { JobProgress } from "../../ui/JobProgress";
import { useResource } from "../../ui/resource";
import { Async, Notice } from "../../ui/States";
import { ColumnHeads, Pager, TableBox } from "../../ui/Table";

export const MODEL_KINDS: ChurnModelKind[] = ["tree", "bayes", "logistic", "boosting"];

/** A code the server sent, in words when the console has them. */
export function churnWord(prefix: string, code: string): string {
  const key = `churn.${prefix}.${code}`;
  return hasMessage(key) ? t(key) : code;
}

/** The churn model's training runs, a training to start, and a prediction to run now. */
export function Churn({ route }: ScreenProps) {
  const page = Number(route.query.get("page") ?? "1") || 1;
  const runs = useResource(() => api.churnRuns({ page, per_page: 20 }), [page]);
  return (
    <section data-testid="churn">
      <h1>{t("churn.title")}</h1>
      <p class="cn-muted">{t("churn.intro")}</p>
      <div class="cn-grid cn-churn-actions">
        <TrainForm onDone={runs.reload} />
        <Predict />
      </div>
      <h2>{t("churn.runs")}</h2>
      <Async resource={runs}>
        {(data) => (
          <>
            <RunsTable runs={data.items} />
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

function RunsTable({ runs }: { runs: ChurnRun[] }) {
  return (
    <TableBox caption={t("churn.runs")} testid="churn-runs" wide>
      <ColumnHeads
        columns={[
          t("churn.col.when"),
          t("churn.col.who"),
          t("churn.col.segment"),
          t("churn.col.status"),
          t("churn.col.months"),
          { numeric: t("churn.col.auc") },
          { numeric: t("churn.col.precision") },
          { numeric: t("churn.col.recall") },
          { numeric: t("churn.col.lift") },
        ]}
      />
      <tbody>
        {runs.map((run) => (
          <RunRow key={run.id} run={run} />
        ))}
        {runs.length === 0 && (
          <tr>
            <td colSpan={9}>{t("churn.none")}</td>
          </tr>
        )}
      </tbody>
    </TableBox>
  );
}

function RunRow({ run }: { run: ChurnRun }) {
  const f = run.figures;
  return (
    <tr data-testid="churn-run" data-id={run.id} data-status={run.status}>
      <th scope="row">
        <a href={href("churnRun", { id: run.id })}>{fmtDateTime(run.created_at)}</a>
      </th>
      <td>{run.created_by?.display_name ?? t("churn.cli")}</td>
      <td>{churnWord("segment", run.segment)}</td>
      <td>
        <RunStatus run={run} />
      </td>
      <td>
        {monthSpan(run.trained_from, run.trained_to)} · {monthSpan(run.tested_from, run.tested_to)}
      </td>
      <td class="cn-num">{vsRules(auc(f.auc), auc(f.rules_auc))}</td>
      <td class="cn-num">{vsRules(pct(f.precision), pct(f.rules_precision))}</td>
      <td class="cn-num">{vsRules(pct(f.recall), pct(f.rules_recall))}</td>
      <td class="cn-num">
        {f.lift_over_rules === null
          ? "–"
          : `×${fmtNumber(Math.round(f.lift_over_rules * 100) / 100)}`}
      </td>
    </tr>
  );
}

export function RunStatus({ run }: { run: ChurnRun }) {
  return (
    <span class={`cn-run-status cn-run-${run.status}`}>
      {churnWord("status", run.status)}
      {run.status === "not_activated" && run.not_activated_reason && (
        <span class="cn-muted">
          {" "}
          ·{" "}
          {t("churn.notActivatedBecause", {
            reason: churnWord("reason", run.not_activated_reason),
          })}
        </span>
      )}
    </span>
  );
}

const DEPTHS = ["2", "3", "4", "5", "6", "7", "8"];
const WINDOWS = ["1", "2", "3", "4", "5", "6"];

function TrainForm({ onDone }: { onDone: () => void }) {
  const [members, setMembers] = useState<ChurnModelKind[]>(["tree", "bayes", "boosting"]);
  const [combine, setCombine] = useState<ChurnCombine>("union");
  const [depth, setDepth] = useState("4");
  const [seed, setSeed] = useState("0");
  const [window, setWindow] = useState("1");
  const [job, setJob] = useState<Job | null>(null);
  const [finished, setFinished] = useState<Job | null>(null);
  const [error, setError] = useState<unknown>(null);
  const running = job !== null && finished === null;

  async function start(event: Event) {
    event.preventDefault();
    setError(null);
    setFinished(null);
    try {
      setJob(
        await api.trainChurn({
          members: MODEL_KINDS.filter((m) => members.includes(m)),
          combine,
          tree_depth: Number(depth),
          seed: seed.trim() === "" ? 0 : Number(seed),
          window: Number(window),
        }),
      );
    } catch (err) {
      setJob(null);
      setError(err);
    }
  }

  const toggle = (kind: ChurnModelKind, on: boolean) =>
    setMembers((now) => (on ? [...now, kind] : now.filter((m) => m !== kind)));
  const membersError = fieldError(error, "members");
  const result = finished?.status === "done" ? finished.result : null;
  return (
    <form
      class="cn-panel cn-form"
      onSubmit={start}
      noValidate
      data-testid="churn-train"
      aria-labelledby="churn-train-title"
    >
      <h2 id="churn-train-title">{t("churn.train.title")}</h2>
      <fieldset
        class="cn-inline"
        aria-describedby={membersError ? "churn-members-error" : undefined}
      >
        <legend>{t("churn.train.members")}</legend>
        {MODEL_KINDS.map((kind) => (
          <Check
            key={kind}
            name={`member-${kind}`}
            label={t(`churn.model.${kind}`)}
            checked={members.includes(kind)}
            onChange={(on) => toggle(kind, on)}
          />
        ))}
        {membersError && (
          <p class="fb-error" id="churn-members-error">
            {membersError}
          </p>
        )}
      </fieldset>
      <fieldset class="cn-inline cn-choices">
        <legend>{t("churn.train.combine")}</legend>
        {(["union", "intersection"] as const).map((choice) => (
          <label key={choice} class="cn-choice">
            <input
              type="radio"
              name="combine"
              value={choice}
              checked={combine === choice}
              onChange={() => setCombine(choice)}
              data-testid={`combine-${choice}`}
            />
            <span>
              <strong>{t(`churn.combine.${choice}`)}</strong>
              {t("churn.combine.separator")}
              {t(`churn.combine.${choice}Hint`)}
            </span>
          </label>
        ))}
      </fieldset>
      <div class="cn-form-grid">
        <Select
          label={t("churn.train.depth")}
          name="tree_depth"
          value={depth}
          onValue={setDepth}
          options={DEPTHS.map((d) => ({ value: d, label: d }))}
          error={fieldError(error, "tree_depth")}
        />
        <Select
          label={t("churn.train.window")}
          name="window"
          value={window}
          onValue={setWindow}
          options={WINDOWS.map((w) => ({ value: w, label: w }))}
          error={fieldError(error, "window")}
        />
        <TextInput
          label={t("churn.train.seed")}
          name="seed"
          type="number"
          min={0}
          value={seed}
          onValue={setSeed}
          error={fieldError(error, "seed")}
        />
      </div>
      <p>
        <button type="submit" class="cn-button" disabled={running} data-testid="churn-train-start">
          {t("churn.train.start")}
        </button>
      </p>
      <WriteError error={error} fields={["members", "tree_depth", "window", "seed", "combine"]} />
      {job && (
        <JobProgress
          key={job.id}
          job={job}
          label={t("churn.train.progress")}
          onDone={(done) => {
            setFinished(done);
            onDone();
          }}
        />
      )}
      {result && (
        <Notice kind="ok">
          <span data-testid="churn-train-result">
            {t("churn.train.done", {
              runs: fmtNumber((result["runs"] as string[] | undefined)?.length ?? 0),
              activated: fmtNumber(Number(result["activated"] ?? 0)),
            })}
          </span>
        </Notice>
      )}
    </form>
  );
}

function Predict() {
  const [job, setJob] = useState<Job | null>(null);
  const [finished, setFinished] = useState<Job | null>(null);
  const [error, setError] = useState<unknown>(null);
  const running = job !== null && finished === null;

  async function start() {
    setError(null);
    setFinished(null);
    try {
      setJob(await api.predictChurn());
    } catch (err) {
      setJob(null);
      setError(err);
    }
  }

  const result = finished?.status === "done" ? finished.result : null;
  return (
    <section class="cn-panel" aria-labelledby="churn-predict-title" data-testid="churn-predict">
      <h2 id="churn-predict-title">{t("churn.predict.title")}</h2>
      <p class="cn-muted">{t("churn.predict.hint")}</p>
      <p>
        <button
          type="button"
          class="cn-button"
          disabled={running}
          onClick={() => void start()}
          data-testid="churn-predict-start"
        >
          {t("churn.predict.start")}
        </button>
      </p>
      <WriteError error={error} />
      {job && (
        <JobProgress
          key={job.id}
          job={job}
          label={t("churn.predict.progress")}
          onDone={setFinished}
        />
      )}
      {result && (
        <Notice kind="ok">
          <span data-testid="churn-predict-result">
            {t("churn.predict.done", {
              month: String(result["month"] ?? ""),
              scored: fmtNumber(Number(result["customers_scored"] ?? 0)),
              flagged: fmtNumber(Number(result["customers_flagged"] ?? 0)),
              opened: fmtNumber(Number(result["warnings_opened"] ?? 0)),
              joined: fmtNumber(Number(result["warnings_joined"] ?? 0)),
            })}
          </span>
        </Notice>
      )}
    </section>
  );
}
