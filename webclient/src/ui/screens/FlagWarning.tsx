import { useState } from "preact/hooks";
import type { Customer } from "../../db";
import { customerCard, flagWarning, type ManualReason } from "../../data";
import { t, useLocale } from "../../i18n";
import { ta } from "../../i18n/actions";
import { Choices, FormFooter } from "../components/Field";
import { useLive } from "../components/useLive";
import { href, navigate } from "../router";
import { Missing } from "./LogVisit";
import { fieldErrors, TextField } from "./actionParts";
import type { ScreenProps } from "./types";
import "../screens.css";

const REASONS: ManualReason[] = ["competitor", "intent_to_leave", "other"];

/** A manager's report of a churn risk (竞争对手接触, 离网意向...), before the bills show it. */
export function FlagWarning({ route }: ScreenProps) {
  useLocale();
  const id = route.params.id ?? "";
  const live = useLive(() => customerCard(id), [id]);
  if (!live.ready) return <p class="fb-screen">{t("portfolio.loading")}</p>;
  if (live.value === undefined) return <Missing />;
  return <Form customer={live.value.customer} />;
}

function Form({ customer }: { customer: Customer }) {
  const [reason, setReason] = useState<ManualReason | null>(null);
  const [note, setNote] = useState("");
  const [errors, setErrors] = useState<Partial<Record<"reason" | "note" | "form", string>>>({});
  const [saving, setSaving] = useState(false);
  const back = href("customer", { id: customer.id });
  const churned = customer.stage === "churned";

  async function save(event: Event) {
    event.preventDefault();
    const found: typeof errors = {};
    if (reason === null) found.reason = t("form.required");
    if (!note.trim()) found.note = t("form.required");
    if (reason === null || found.note) {
      setErrors({ ...found, form: t("form.fixErrors") });
      return;
    }
    setSaving(true);
    try {
      // The report may join the customer's open warning: the card lists it either way.
      await flagWarning(customer.id, reason, note);
      navigate("customer", { id: customer.id });
    } catch (error) {
      setErrors({ ...fieldErrors(error), form: (error as Error).message });
      setSaving(false);
    }
  }

  return (
    <section class="fb-screen" aria-labelledby="flag-title">
      <a class="fb-back" href={back}>
        {t("form.backTo", { name: customer.name })}
      </a>
      <h1 id="flag-title">{ta("act.flagTitle")}</h1>
      <p class="fb-meta">{customer.name}</p>
      {churned ? (
        <p class="fb-notice">{ta("act.churned")}</p>
      ) : (
        <>
          <p class="fb-hint">{ta("act.flagIntro")}</p>
          <form class="fb-form" data-testid="flag-form" onSubmit={save} noValidate>
            <Choices
              legend={ta("act.flagReason")}
              name="reason"
              options={REASONS.map((code) => ({ value: code, label: t(`reason.${code}`) }))}
              value={reason}
              onChange={setReason}
              error={errors.reason}
            />
            <TextField
              label={ta("act.flagNote")}
              hint={ta("act.flagNoteHint")}
              name="note"
              value={note}
              onInput={setNote}
              error={errors.note}
              rows={4}
            />
            <FormFooter
              error={errors.form}
              saving={saving}
              label={ta("act.flagSave")}
              testid="flag-save"
              cancelHref={back}
            />
          </form>
        </>
      )}
    </section>
  );
}
