import { useState } from "preact/hooks";
import type { CustomerResponse, Visit } from "../../db";
import { updateVisit, type VisitChanges } from "../../data";
import { visitDetail, type VisitDetail as Detail } from "../../data/records";
import { fmtDateTime, hasMessage, t, useLocale } from "../../i18n";
import { ta } from "../../i18n/actions";
import { Field, FormFooter } from "../components/Field";
import { TierBadge } from "../components/TierBadge";
import { useLive } from "../components/useLive";
import { href } from "../router";
import { Missing } from "./LogVisit";
import { CheckField, fieldErrors, orNull, TextFields } from "./actionParts";
import type { ScreenProps } from "./types";
import "../screens.css";

const RESPONSES: CustomerResponse[] = ["positive", "neutral", "negative"];

/** A visit log, its corrections (kept as revisions on the server) and a form to correct it. */
export function VisitDetail({ route }: ScreenProps) {
  useLocale();
  const id = route.params.id ?? "";
  const live = useLive(() => visitDetail(id), [id]);
  if (!live.ready) return <p class="fb-screen">{t("portfolio.loading")}</p>;
  if (live.value === undefined) return <Missing />;
  const detail = live.value;
  const { visit: v, customer } = detail;
  const mine = detail.userId !== null && v.manager_id === detail.userId;
  return (
    <article class="fb-screen" aria-labelledby="visit-title" data-testid="visit-detail">
      {customer && (
        <a class="fb-back" href={href("customer", { id: customer.id })}>
          {t("form.backTo", { name: customer.name })}
        </a>
      )}
      <h1 id="visit-title">{ta("act.visitTitle")}</h1>
      <p class="fb-meta">
        {customer && (
          <>
            {customer.name} <TierBadge tier={customer.tier} /> ·{" "}
          </>
        )}
        {fmtDateTime(v.started_at)} · {t(`channel.${v.channel}`)} · {t(`purpose.${v.purpose}`)}
        {v.channel === "visit" ? ` · ${t(`location.${v.location_status}`)}` : ""}
      </p>
      <dl class="fb-dl" data-testid="visit-values">
        <Row label={ta("act.outcome")} value={v.outcome} />
        <Row label={ta("act.notes")} value={v.notes} />
        <Row label={ta("act.nextStep")} value={v.next_step} />
        <Row
          label={ta("act.response")}
          value={v.customer_response ? t(`response.${v.customer_response}`) : null}
        />
        <Row
          label={ta("act.privilegesShort")}
          value={ta(v.privileges_explained ? "act.yes" : "act.no")}
        />
      </dl>
      {mine ? (
        <CorrectionForm key={`${v.id}:${v.version}`} visit={v} />
      ) : (
        <p class="fb-hint">{ta("act.visitNotAuthor")}</p>
      )}
      <History detail={detail} />
    </article>
  );
}

function Row({ label, value }: { label: string; value: string | null }) {
  return (
    <div>
      <dt>{label}</dt>
      <dd class="fb-notes">{value ?? "—"}</dd>
    </div>
  );
}

type Text = "outcome" | "notes" | "next_step";

function CorrectionForm({ visit }: { visit: Visit }) {
  const [values, setValues] = useState<Record<Text, string>>({
    outcome: visit.outcome ?? "",
    notes: visit.notes ?? "",
    next_step: visit.next_step ?? "",
  });
  const [response, setResponse] = useState<CustomerResponse | "">(visit.customer_response ?? "");
  const [privileges, setPrivileges] = useState(visit.privileges_explained ?? false);
  const [errors, setErrors] = useState<Partial<Record<Text | "form", string>>>({});
  const [message, setMessage] = useState("");
  const [saving, setSaving] = useState(false);
  const onInput = (name: Text, value: string) => setValues({ ...values, [name]: value });

  async function save(event: Event) {
    event.preventDefault();
    // Only what really changes travels: the server keeps each change as a revision.
    const wanted: VisitChanges = {
      outcome: orNull(values.outcome),
      notes: orNull(values.notes),
      next_step: orNull(values.next_step),
      customer_response: response === "" ? null : response,
      privileges_explained: privileges,
    };
    const current: Record<string, unknown> = {
      ...visit,
      privileges_explained: !!visit.privileges_explained,
    };
    const changes = Object.fromEntries(
      Object.entries(wanted).filter(([name, value]) => value !== (current[name] ?? null)),
    ) as VisitChanges;
    if (Object.keys(changes).length === 0) {
      setErrors({});
      setMessage(ta("act.noChange"));
      return;
    }
    setSaving(true);
    try {
      await updateVisit(visit.id, changes);
      setErrors({});
      setMessage(t("warning.saved"));
    } catch (error) {
      setErrors({ ...fieldErrors(error), form: (error as Error).message });
    }
    setSaving(false);
  }

  return (
    <form class="fb-form" data-testid="visit-correct-form" onSubmit={save} noValidate>
      <h2>{ta("act.correctTitle")}</h2>
      <p class="fb-hint">{ta("act.correctHint")}</p>
      <TextFields
        specs={[
          { name: "outcome", label: ta("act.outcome"), rows: 2 },
          { name: "notes", label: ta("act.notes"), rows: 4 },
          { name: "next_step", label: ta("act.nextStep"), rows: 2 },
        ]}
        values={values}
        errors={errors}
        onInput={onInput}
      />
      <Field label={ta("act.response")}>
        {(props) => (
          <select
            {...props}
            name="customer_response"
            value={response}
            onChange={(e) => setResponse(e.currentTarget.value as CustomerResponse | "")}
          >
            <option value="">{ta("act.responseNone")}</option>
            {RESPONSES.map((r) => (
              <option key={r} value={r}>
                {t(`response.${r}`)}
              </option>
            ))}
          </select>
        )}
      </Field>
      <CheckField
        label={ta("act.privileges")}
        name="privileges_explained"
        checked={privileges}
        onChange={setPrivileges}
      />
      <FormFooter
        error={errors.form}
        saving={saving}
        label={ta("act.correctSave")}
        testid="visit-correct-save"
        cancelHref={href("customer", { id: visit.customer_id })}
      />
      <p class="fb-status" role="status">
        {message}
      </p>
    </form>
  );
}

/** A field's value as the history shows it. */
function shown(field: string, value: unknown): string {
  if (value === null || value === undefined || value === "") return ta("act.empty");
  if (typeof value === "boolean") return ta(value ? "act.yes" : "act.no");
  if (field === "customer_response" && typeof value === "string") {
    const key = `response.${value}`;
    return hasMessage(key) ? t(key) : value;
  }
  if (field === "ended_at" && typeof value === "string") return fmtDateTime(value);
  return Array.isArray(value) ? value.join(", ") : String(value);
}

function fieldName(field: string): string {
  const key = `sync.field.${field}`;
  return hasMessage(key) ? t(key) : field;
}

function History({ detail }: { detail: Detail }) {
  const { revisions, pending, editors, userId } = detail;
  return (
    <section class="fb-section" aria-labelledby="visit-history">
      <h2 id="visit-history">{ta("act.history")}</h2>
      {revisions.length + pending.length === 0 && <p class="fb-empty">{ta("act.noHistory")}</p>}
      <ul class="fb-list" data-testid="visit-history">
        {pending.map((entry) => (
          <li key={entry.seq} class="fb-item" data-testid="revision-pending">
            <div class="fb-item-main">
              <span class="fb-item-title">
                {fmtDateTime(entry.client_time)} · {ta("act.pending")}
              </span>
              {Object.entries(entry.args.changes).map(([field, value]) => (
                <span key={field} class="fb-meta fb-notes">
                  {fieldName(field)}: {shown(field, value)}
                </span>
              ))}
            </div>
          </li>
        ))}
        {revisions.map((r) => (
          <li key={r.id} class="fb-item" data-testid="revision">
            <div class="fb-item-main">
              <span class="fb-item-title">
                {ta("act.by", {
                  time: fmtDateTime(r.at),
                  name: r.editor_id === userId ? ta("act.you") : (editors[r.editor_id] ?? "—"),
                })}
              </span>
              {Object.entries(r.changes).map(([field, change]) => (
                <span key={field} class="fb-meta fb-notes">
                  {fieldName(field)}: {shown(field, change.old)} → {shown(field, change.new)}
                </span>
              ))}
            </div>
          </li>
        ))}
      </ul>
    </section>
  );
}
