import { useState } from "preact/hooks";
import type { CampaignOutcome as Outcome, CampaignTarget } from "../../db";
import {
  campaignTargetDetail,
  LocalRefusal,
  recordCampaignOutcome,
  type CampaignOutcomeInput,
  type CampaignTargetDetail,
} from "../../data";
import { fmtDate, fmtDateTime, t, useLocale } from "../../i18n";
import { LIMITS } from "../../limits";
import { Choices, Field, FormFooter, limitError } from "../components/Field";
import { useLive } from "../components/useLive";
import { href } from "../router";
import { returnTo } from "./LogVisit";
import type { ScreenProps } from "./types";
import "../screens.css";

const OUTCOMES: readonly Outcome[] = [
  "offered",
  "took_part",
  "contracted",
  "declined",
  "not_reached",
];
const MAX_MONTHS = 120;

/** A target's outcome in words: what the customer did, with its months or reason, and when. */
export function outcomeText(target: CampaignTarget): string {
  if (target.outcome === null) return t("campaign.notYet");
  const outcome =
    target.outcome === "contracted" && target.contract_months !== null
      ? t("campaign.contractedFor", { months: target.contract_months })
      : target.outcome === "declined" && target.decline_reason
        ? t("campaign.declinedBecause", { reason: target.decline_reason })
        : t(`campaign.outcome.${target.outcome}`);
  return target.outcome_at
    ? t("campaign.recordedAt", { outcome, time: fmtDateTime(target.outcome_at) })
    : outcome;
}

/** A campaign's kind and period, as one line. */
export function campaignLine(detail: Pick<CampaignTargetDetail, "campaign" | "open">): string {
  const c = detail.campaign;
  const period = t("campaign.runs", { from: fmtDate(c.starts_on), to: fmtDate(c.ends_on) });
  return [t(`campaign.kind.${c.kind}`), period, detail.open ? "" : t("campaign.isClosed")]
    .filter(Boolean)
    .join(" · ");
}

export function CampaignOutcome({ route }: ScreenProps) {
  useLocale();
  const id = route.params.id ?? "";
  const live = useLive(() => campaignTargetDetail(id), [id]);
  if (!live.ready) return <p class="fb-screen">{t("portfolio.loading")}</p>;
  const detail = live.value;
  if (detail === undefined) {
    return (
      <section class="fb-screen">
        <h1>{t("campaign.missingTitle")}</h1>
        <p>{t("campaign.missing")}</p>
        <a class="fb-button fb-secondary" href={href("portfolio")}>
          {t("card.toPortfolio")}
        </a>
      </section>
    );
  }
  const { target, campaign, customer, plan } = detail;
  const planOpen = plan !== null && (plan.status === "planned" || plan.status === "missed");
  return (
    <section
      class="fb-screen"
      aria-labelledby="campaign-title"
      data-testid="campaign-target"
      data-id={target.id}
    >
      <a class="fb-back" href={href("customer", { id: target.customer_id })}>
        {t("form.backTo", { name: customer?.name ?? "" })}
      </a>
      <h1 id="campaign-title">{campaign.name}</h1>
      <p class="fb-meta">{campaignLine(detail)}</p>
      <dl class="fb-dl">
        <div>
          <dt>{t("campaign.customer")}</dt>
          <dd>{customer?.name}</dd>
        </div>
        <div>
          <dt>{t("campaign.offer")}</dt>
          <dd>{campaign.offer}</dd>
        </div>
        <div>
          <dt>{t("campaign.current")}</dt>
          <dd data-testid="campaign-outcome" data-outcome={target.outcome ?? ""}>
            {outcomeText(target)}
            {detail.unsynced ? ` · ${t("card.notSynced")}` : ""}
          </dd>
        </div>
      </dl>
      {detail.open ? (
        <OutcomeForm key={target.id} detail={detail} route={route} />
      ) : (
        <p class="fb-notice" data-testid="campaign-closed">
          {t("campaign.closed")}
        </p>
      )}
      {planOpen && (
        <p>
          <a
            href={href(
              "logVisit",
              { id: target.customer_id },
              { plan: plan.id, ...(route.query.get("from") ? { from: "today" } : {}) },
            )}
          >
            {t("campaign.logVisit")}
          </a>
        </p>
      )}
    </section>
  );
}

type Errors = Partial<Record<"outcome" | "months" | "reason" | "form", string>>;

function OutcomeForm({
  detail,
  route,
}: {
  detail: CampaignTargetDetail;
  route: ScreenProps["route"];
}) {
  const { target } = detail;
  const [outcome, setOutcome] = useState<Outcome | null>(target.outcome);
  const [months, setMonths] = useState(target.contract_months?.toString() ?? "");
  const [reason, setReason] = useState(target.decline_reason ?? "");
  const [errors, setErrors] = useState<Errors>({});
  const [saving, setSaving] = useState(false);

  /** The outcome to record, or what is wrong with the form. */
  function checked(): { input: CampaignOutcomeInput } | { errors: Errors } {
    if (outcome === null) return { errors: { outcome: t("campaign.errOutcome") } };
    if (outcome === "contracted") {
      const n = Number(months.trim());
      if (!Number.isInteger(n) || n < 1 || n > MAX_MONTHS)
        return { errors: { months: t("campaign.errMonths") } };
      return { input: { outcome, contract_months: n } };
    }
    if (outcome === "declined") {
      const text = reason.trim();
      if (text === "") return { errors: { reason: t("campaign.errReason") } };
      const long = limitError(text, LIMITS.campaignDeclineReason);
      if (long) return { errors: { reason: long } };
      return { input: { outcome, decline_reason: text } };
    }
    return { input: { outcome } };
  }

  async function save(event: Event) {
    event.preventDefault();
    const result = checked();
    if ("errors" in result) {
      setErrors({ ...result.errors, form: t("form.fixErrors") });
      return;
    }
    setErrors({});
    setSaving(true);
    try {
      await recordCampaignOutcome(target.id, result.input);
      returnTo(route, target.customer_id);
    } catch (error) {
      const message =
        error instanceof LocalRefusal && error.code === "campaign_closed"
          ? t("campaign.closed")
          : (error as Error).message;
      setErrors({ form: message });
      setSaving(false);
    }
  }

  return (
    <form class="fb-form" data-testid="campaign-form" onSubmit={save} noValidate>
      <Choices
        legend={t("campaign.form")}
        name="outcome"
        options={OUTCOMES.map((o) => ({ value: o, label: t(`campaign.outcome.${o}`) }))}
        value={outcome}
        onChange={setOutcome}
        error={errors.outcome}
      />
      {outcome === "contracted" && (
        <Field label={t("campaign.months")} hint={t("campaign.monthsHint")} error={errors.months}>
          {(props) => (
            <input
              {...props}
              name="contract_months"
              type="number"
              inputMode="numeric"
              min={1}
              max={MAX_MONTHS}
              step={1}
              value={months}
              onInput={(e) => setMonths(e.currentTarget.value)}
            />
          )}
        </Field>
      )}
      {outcome === "declined" && (
        <Field
          label={t("campaign.reason")}
          error={errors.reason}
          limit={{ text: reason, max: LIMITS.campaignDeclineReason }}
        >
          {(props) => (
            <textarea
              {...props}
              name="decline_reason"
              rows={3}
              value={reason}
              onInput={(e) => setReason(e.currentTarget.value)}
            />
          )}
        </Field>
      )}
      <FormFooter
        error={errors.form}
        saving={saving}
        label={t("campaign.save")}
        testid="campaign-save"
        cancelHref={href("customer", { id: target.customer_id })}
      />
    </form>
  );
}
