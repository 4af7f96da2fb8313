import { useState } from "preact/hooks";
import type { ChurnWarning } from "../../db";
import { answerWarning, warningDetail } from "../../data";
import { fmtDate, fmtDateTime, t, useLocale } from "../../i18n";
import { Field } from "../components/Field";
import { TierBadge } from "../components/TierBadge";
import { useLive } from "../components/useLive";
import { href } from "../router";
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
        <AnswerForm warning={w} />
      ) : (
        <dl class="fb-dl">
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
    const found = {
      ...(cause.trim() ? {} : { cause: t("form.required") }),
      ...(plan.trim() ? {} : { plan: t("form.required") }),
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
      <Field label={t("warning.cause")} hint={t("warning.causeHint")} error={errors.cause}>
        {(props) => (
          <textarea
            {...props}
            name="cause_analysis"
            rows={4}
            maxLength={4000}
            required
            value={cause}
            onInput={(e) => setCause(e.currentTarget.value)}
          />
        )}
      </Field>
      <Field label={t("warning.plan")} hint={t("warning.planHint")} error={errors.plan}>
        {(props) => (
          <textarea
            {...props}
            name="retention_plan"
            rows={4}
            maxLength={4000}
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
