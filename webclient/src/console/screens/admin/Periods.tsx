import { useState } from "preact/hooks";
import { api } from "../../api";
import { t } from "../../i18n";
import { indicatorName } from "../../lib/figures";
import type { ScreenProps } from "../../screens";
import type { ReviewPeriod, ScorecardEntry } from "../../types";
import { fieldError, hasFieldErrors, TextInput } from "../../ui/forms";
import { rangeText } from "../../ui/Pickers";
import { useResource } from "../../ui/resource";
import { Async, errorText, Notice } from "../../ui/States";
import { TableBox } from "../../ui/Table";

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
            <thead>
              <tr>
                <th scope="col">{t("periods.name")}</th>
                <th scope="col">{t("console.period")}</th>
                <th scope="col">{t("console.actions")}</th>
              </tr>
            </thead>
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
  const [form, setForm] = useState({ name: "", starts_on: "", ends_on: "" });
  const [error, setError] = useState<unknown>(null);
  const set = (name: keyof typeof form) => (value: string) =>
    setForm((f) => ({ ...f, [name]: value }));
  async function submit(event: Event) {
    event.preventDefault();
    setError(null);
    try {
      const created = await api.createPeriod(form);
      setForm({ name: "", starts_on: "", ends_on: "" });
      onCreated(created);
    } catch (err) {
      setError(err);
    }
  }
  return (
    <form class="cn-panel" noValidate onSubmit={submit} aria-labelledby="new-period">
      <h2 id="new-period">{t("periods.new")}</h2>
      <p class="cn-muted">{t("periods.newHint")}</p>
      <div class="cn-toolbar">
        <TextInput
          label={t("periods.name")}
          name="name"
          value={form.name}
          onValue={set("name")}
          error={fieldError(error, "name")}
        />
        <TextInput
          label={t("periods.startsOn")}
          name="starts_on"
          type="date"
          value={form.starts_on}
          onValue={set("starts_on")}
          error={fieldError(error, "starts_on")}
        />
        <TextInput
          label={t("periods.endsOn")}
          name="ends_on"
          type="date"
          value={form.ends_on}
          onValue={set("ends_on")}
          error={fieldError(error, "ends_on")}
        />
        <button type="submit" class="cn-button">
          {t("console.create")}
        </button>
      </div>
      {error !== null && !hasFieldErrors(error) && <Notice kind="error">{errorText(error)}</Notice>}
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
  const cell = (i: number, field: Exclude<keyof Row, "indicator">, label: string) => {
    const problem = fieldError(error, `scorecard.${i}.${field}`);
    return (
      <td>
        <input
          type="number"
          step="any"
          size={6}
          aria-label={`${indicatorName(rows[i]!.indicator)}: ${label}`}
          aria-invalid={problem ? true : undefined}
          value={rows[i]![field]}
          onInput={(e) => edit(i, field, e.currentTarget.value)}
        />
        {problem && <p class="cn-error">{problem}</p>}
      </td>
    );
  };
  const general = fieldError(error, "scorecard") ?? fieldError(error, "scorecard._schema");
  return (
    <section class="cn-panel" aria-labelledby="scorecard-edit" data-testid="scorecard-editor">
      <h2 id="scorecard-edit">{t("periods.edit", { name: period.name })}</h2>
      <p class="cn-muted">{t("periods.ratioHint")}</p>
      <TableBox caption={t("periods.edit", { name: period.name })}>
        <thead>
          <tr>
            <th scope="col">{t("periods.indicator")}</th>
            <th scope="col">{t("periods.weight")}</th>
            <th scope="col">{t("periods.target")}</th>
            <th scope="col">{t("periods.floor")}</th>
            <th scope="col">{t("periods.cap")}</th>
          </tr>
        </thead>
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
      {error !== null && !hasFieldErrors(error) && <Notice kind="error">{errorText(error)}</Notice>}
      {saved && <Notice kind="ok">{t("console.saved")}</Notice>}
      <button type="button" class="cn-button" onClick={() => void save()}>
        {t("periods.saveScorecard")}
      </button>
    </section>
  );
}
