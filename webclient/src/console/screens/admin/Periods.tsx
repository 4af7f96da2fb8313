import { useState } from "preact/hooks";
import { api } from "../../api";
import { indicatorName, t } from "../../i18n";
import type { ScreenProps } from "../../screens";
import type { ReviewPeriod, ScorecardEntry } from "../../types";
import { CellInput, fieldError, TextInput, useForm, WriteError } from "../../ui/forms";
import { rangeText } from "../../ui/Pickers";
import { useResource } from "../../ui/resource";
import { Async, Notice } from "../../ui/States";
import { ColumnHeads, TableBox } from "../../ui/Table";

export function Periods(_props: ScreenProps) {
  const periods = useResource(() => api.periods(), []);
  const [editing, setEditing] = useState<ReviewPeriod | null>(null);
  return (
    <section data-testid="periods">
      <h1>{t("periods.title")}</h1>
      <NewPeriod onCreated={(p) => (periods.reload(), setEditing(p))} />
      <Async resource={periods}>
        {(list) => (
          <TableBox caption={t("periods.title")} testid="period-table">
            <ColumnHeads columns={[t("periods.name"), t("console.period"), t("console.actions")]} />
            <tbody>
              {list.map((p) => (
                <tr key={p.id}>
                  <th scope="row">{p.name}</th>
                  <td>{rangeText(p.starts_on, p.ends_on)}</td>
                  <td>
                    <button
                      type="button"
                      class="cn-link"
                      aria-label={t("periods.edit", { name: p.name })}
                      onClick={() => setEditing(p)}
                    >
                      {t("periods.choose")}
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </TableBox>
        )}
      </Async>
      {editing && (
        <ScorecardEditor
          key={`${editing.id}:${editing.version}`}
          period={editing}
          onSaved={(p) => {
            setEditing(p);
            periods.reload();
          }}
        />
      )}
    </section>
  );
}

function NewPeriod({ onCreated }: { onCreated: (p: ReviewPeriod) => void }) {
  const form = useForm({ name: "", starts_on: "", ends_on: "" });
  const { field } = form;
  const submit = form.submit(async () => {
    const created = await api.createPeriod(form.values);
    form.reset();
    onCreated(created);
  });
  return (
    <form class="cn-panel" noValidate onSubmit={submit} aria-labelledby="new-period">
      <h2 id="new-period">{t("periods.new")}</h2>
      <p class="cn-muted">{t("periods.newHint")}</p>
      <div class="cn-toolbar">
        <TextInput label={t("periods.name")} {...field("name")} />
        <TextInput label={t("periods.startsOn")} {...field("starts_on")} type="date" />
        <TextInput label={t("periods.endsOn")} {...field("ends_on")} type="date" />
        <button type="submit" class="cn-button">
          {t("console.create")}
        </button>
      </div>
      <WriteError error={form.error} />
    </form>
  );
}

type Row = { indicator: string; weight: string; target: string; floor: string; cap: string };

function toRow(e: ScorecardEntry): Row {
  const text = (v: number | null | undefined) => (v === null || v === undefined ? "" : String(v));
  return {
    indicator: e.indicator,
    weight: String(e.weight),
    target: text(e.target),
    floor: text(e.floor),
    cap: text(e.cap),
  };
}

function toEntry(r: Row): ScorecardEntry {
  const num = (v: string) => (v.trim() === "" ? null : Number(v));
  const entry: ScorecardEntry = { indicator: r.indicator, weight: Number(r.weight) };
  if (Number(r.weight) > 0) {
    entry.target = num(r.target);
    entry.floor = num(r.floor);
    if (r.cap.trim() !== "") entry.cap = Number(r.cap);
  }
  return entry;
}

/** Weights, targets, floors and caps; the server's 422 names each entry (scorecard.<i>.<field>). */
function ScorecardEditor({
  period,
  onSaved,
}: {
  period: ReviewPeriod;
  onSaved: (p: ReviewPeriod) => void;
}) {
  const [rows, setRows] = useState<Row[]>(period.scorecard.map(toRow));
  const [error, setError] = useState<unknown>(null);
  const [saved, setSaved] = useState(false);
  const sum = rows.reduce((n, r) => n + (Number(r.weight) || 0), 0);
  const edit = (i: number, field: keyof Row, value: string) => {
    setRows((current) => current.map((r, j) => (j === i ? { ...r, [field]: value } : r)));
    setSaved(false);
  };
  async function save() {
    setError(null);
    try {
      const answer = await api.updatePeriod(period.id, {
        scorecard: rows.map(toEntry),
        version: period.version,
      });
      setSaved(true);
      onSaved(answer);
    } catch (err) {
      setError(err);
    }
  }
  const cell = (i: number, field: Exclude<keyof Row, "indicator">, label: string) => (
    <CellInput
      type="number"
      step="any"
      size={6}
      label={`${indicatorName(rows[i]!.indicator)}: ${label}`}
      value={rows[i]![field]}
      onValue={(value) => edit(i, field, value)}
      error={fieldError(error, `scorecard.${i}.${field}`)}
    />
  );
  const general = fieldError(error, "scorecard") ?? fieldError(error, "scorecard._schema");
  return (
    <section class="cn-panel" aria-labelledby="scorecard-edit" data-testid="scorecard-editor">
      <h2 id="scorecard-edit">{t("periods.edit", { name: period.name })}</h2>
      <p class="cn-muted">{t("periods.ratioHint")}</p>
      <TableBox caption={t("periods.edit", { name: period.name })}>
        <ColumnHeads
          columns={[
            t("periods.indicator"),
            t("periods.weight"),
            t("periods.target"),
            t("periods.floor"),
            t("periods.cap"),
          ]}
        />
        <tbody>
          {rows.map((r, i) => (
            <tr key={r.indicator}>
              <th scope="row">{indicatorName(r.indicator)}</th>
              {cell(i, "weight", t("periods.weight"))}
              {cell(i, "target", t("periods.target"))}
              {cell(i, "floor", t("periods.floor"))}
              {cell(i, "cap", t("periods.cap"))}
            </tr>
          ))}
        </tbody>
      </TableBox>
      <p class={sum === 100 ? "cn-muted" : "cn-error"}>{t("periods.weightsSum", { sum })}</p>
      {general && <p class="cn-error">{general}</p>}
      <WriteError error={error} />
      {saved && <Notice kind="ok">{t("console.saved")}</Notice>}
      <button type="button" class="cn-button" onClick={() => void save()}>
        {t("periods.saveScorecard")}
      </button>
    </section>
  );
}
