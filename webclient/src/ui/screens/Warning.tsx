import { useState } from "preact/hooks";
import type { ChurnWarning } from "../../db";
import { answerWarning, resolveWarning, warningDetail } from "../../data";
import { fmtDate, fmtDateTime, t, useLocale } from "../../i18n";
import { ta } from "../../i18n/actions";
import { LIMITS } from "../../limits";
import { Choices, Field, FormFooter, limitError } from "../components/Field";
import { TierBadge } from "../components/TierBadge";
import { useLive } from "../components/useLive";
import { href } from "../router";
import { fieldErrors, TextField } from "./actionParts";
import { reasonText } from "./CustomerCard";
import type { ScreenProps } from "./types";
import "../screens.css";

export function Warning({ route }: ScreenProps) {
  useLocale();
  const id = route.params.id ?? "";
  const live = useLive(() => warningDetail(id), [id]);
  if (!live.ready) return <p class="fb-screen">{t("portfolio.loading")}</p>;
  const detail = live.value;
  if (detail === undefined) {
    return (
      <section class="fb-screen">
        <h1>{t("warning.missingTitle")}</h1>
        <p>{t("warning.missing")}</p>
        <a class="fb-button fb-secondary" href={href("today")}>
          {t("form.toToday")}
        </a>
      </section>
    );
  }
  const { warning: w, customer } = detail;
  return (
    <article class="fb-screen" aria-labelledby="warning-title" data-testid="warning-detail">
      {customer && (
        <a class="fb-back" href={href("customer", { id: customer.id })}>
          {t("form.backTo", { name: customer.name })}
        </a>
      )}
      <h1 id="warning-title">{t("warning.title")}</h1>
      <p class="fb-meta">
        {customer && (
          <>
            {customer.name} <TierBadge tier={customer.tier} /> ·{" "}
          </>
        )}
        {t(`warningStatus.${w.status}`)} · {t(`warningSource.${w.source}`)} ·{" "}
        {t("card.warningOpened", { date: fmtDate(w.opened_at) })}
      </p>
      <section class="fb-section" aria-labelledby="warning-reasons">
        <h2 id="warning-reasons">{t("warning.reasons")}</h2>
        <ul class="fb-reasons">
          {w.reasons.map((reason, i) => (
            <li key={i}>{reasonText(reason)}</li>
          ))}
        </ul>
      </section>
      {w.status === "open" ? (
        <>
          <AnswerForm warning={w} />
          <OutcomeForm key={w.answered_at ?? ""} warning={w} />
        </>
      ) : (
        <dl class="fb-dl" data-testid="warning-closed">
          <div>
            <dt>{ta("act.outcomeTitle")}</dt>
            <dd>
              {t(`warningStatus.${w.status}`)} ·{" "}
              {ta("act.resolvedAt", { date: fmtDate(w.resolved_at) })}
            </dd>
          </div>
          {w.exit_reason && (
            <div>
              <dt>{ta("act.exitReason")}</dt>
              <dd class="fb-notes">{w.exit_reason}</dd>
            </div>
          )}
          <div>
            <dt>{t("warning.cause")}</dt>
            <dd class="fb-notes">{w.cause_analysis ?? "—"}</dd>
          </div>
          <div>
            <dt>{t("warning.plan")}</dt>
            <dd class="fb-notes">{w.retention_plan ?? "—"}</dd>
          </div>
          {w.resolution_note && (
            <div>
              <dt>{t("warning.outcome")}</dt>
              <dd class="fb-notes">{w.resolution_note}</dd>
            </div>
          )}
        </dl>
      )}
    </article>
  );
}

function AnswerForm({ warning }: { warning: ChurnWarning }) {
  const [cause, setCause] = useState(warning.cause_analysis ?? "");
  const [plan, setPlan] = useState(warning.retention_plan ?? "");
  const [errors, setErrors] = useState<{ cause?: string; plan?: string }>({});
  const [message, setMessage] = useState("");

  async function save(event: Event) {
    event.preventDefault();
    const causeError = cause.trim() ? limitError(cause, LIMITS.warningCause) : t("form.required");
    const planError = plan.trim() ? limitError(plan, LIMITS.warningPlan) : t("form.required");
    const found = {
      ...(causeError ? { cause: causeError } : {}),
      ...(planError ? { plan: planError } : {}),
    };
    setErrors(found);
    if (found.cause || found.plan) return;
    await answerWarning(warning.id, {
      cause_analysis: cause.trim(),
      retention_plan: plan.trim(),
    });
    setMessage(t("warning.saved"));
  }

  return (
    <form class="fb-form" data-testid="warning-form" onSubmit={save} noValidate>
      <h2>{t("warning.answer")}</h2>
      {warning.answered_at && (
        <p class="fb-meta">{t("warning.answeredAt", { time: fmtDateTime(warning.answered_at) })}</p>
      )}
      <Field
        label={t("warning.cause")}
        hint={t("warning.causeHint")}
        error={errors.cause}
        limit={{ text: cause, max: LIMITS.warningCause }}
      >
        {(props) => (
          <textarea
            {...props}
            name="cause_analysis"
            rows={4}
            required
            value={cause}
            onInput={(e) => setCause(e.currentTarget.value)}
          />
        )}
      </Field>
      <Field
        label={t("warning.plan")}
        hint={t("warning.planHint")}
        error={errors.plan}
        limit={{ text: plan, max: LIMITS.warningPlan }}
      >
        {(props) => (
          <textarea
            {...props}
            name="retention_plan"
            rows={4}
            required
            value={plan}
            onInput={(e) => setPlan(e.currentTarget.value)}
          />
        )}
      </Field>
      <button type="submit" class="fb-button" data-testid="warning-save">
        {t("action.save")}
      </button>
      <p class="fb-status" role="status">
        {message}
      </p>
    </form>
  );
}

type Outcome = "retained" | "churned";

/** How the warning ended: retained (after the answer is saved) or churned, with why. */
function OutcomeForm({ warning }: { warning: ChurnWarning }) {
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  const [exitReason, setExitReason] = useState("");
  const [note, setNote] = useState("");
  const [errors, setErrors] = useState<Partial<Record<"outcome" | "exit_reason" | "form", string>>>(
    {},
  );
  const [saving, setSaving] = useState(false);
  const answered = warning.answered_at !== null;

  async function save(event: Event) {
    event.preventDefault();
    const found: typeof errors = {};
    if (outcome === null) found.outcome = t("form.required");
    else if (outcome === "retained" && !answered) found.outcome = ta("act.needAnswer");
    if (outcome === "churned" && !exitReason.trim()) found.exit_reason = t("form.required");
    if (outcome === null || Object.keys(found).length > 0) {
      setErrors({ ...found, form: t("form.fixErrors") });
      return;
    }
    setSaving(true);
    try {
      await resolveWarning(
        warning.id,
        outcome === "retained" ? { outcome, note } : { outcome, exit_reason: exitReason, note },
      );
      setErrors({});
    } catch (error) {
      setErrors({ ...fieldErrors(error), form: (error as Error).message });
    }
    setSaving(false);
  }

  return (
    <form class="fb-form" data-testid="outcome-form" onSubmit={save} noValidate>
      <h2>{ta("act.outcomeTitle")}</h2>
      <p class="fb-hint">{answered ? ta("act.outcomeIntro") : ta("act.needAnswer")}</p>
      <Choices
        legend={ta("act.outcomeQuestion")}
        name="outcome"
        options={[
          { value: "retained" as const, label: ta("act.outcomeRetained") },
          { value: "churned" as const, label: ta("act.outcomeChurned") },
        ]}
        value={outcome}
        onChange={setOutcome}
        error={errors.outcome}
      />
      {outcome === "churned" && (
        <TextField
          label={ta("act.exitReason")}
          hint={ta("act.exitReasonHint")}
          name="exit_reason"
          value={exitReason}
          onInput={setExitReason}
          error={errors.exit_reason}
          rows={2}
        />
      )}
      <TextField
        label={ta("act.outcomeNote")}
        name="note"
        value={note}
        onInput={setNote}
        rows={2}
      />
      <FormFooter
        error={errors.form}
        saving={saving}
        label={ta("act.outcomeSave")}
        testid="outcome-save"
        cancelHref={
          warning.customer_id ? href("customer", { id: warning.customer_id }) : href("today")
        }
      />
    </form>
  );
}
