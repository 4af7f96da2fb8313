import { useState } from "preact/hooks";
import type { Customer, IntakeChannel, Severity } from "../../db";
import { complaintCategories, customerCard, logComplaint } from "../../data";
import { locale, t, useLocale } from "../../i18n";
import { LIMITS } from "../../limits";
import { isoWithOffset, now } from "../../time";
import { Field, FormFooter, limitError, SelectField } from "../components/Field";
import { toLocalInput } from "../components/format";
import { useLive } from "../components/useLive";
import { href, type Route } from "../router";
import { Missing, returnTo } from "./LogVisit";
import type { ScreenProps } from "./types";
import "../screens.css";

const SEVERITIES: Severity[] = ["low", "medium", "high", "critical"];
const INTAKE: IntakeChannel[] = ["in_person", "phone", "sms", "email", "im", "hotline", "store"];

export function LogComplaint({ route }: ScreenProps) {
  useLocale();
  const id = route.params.id ?? "";
  const live = useLive(() => customerCard(id), [id]);
  if (!live.ready) return <p class="fb-screen">{t("portfolio.loading")}</p>;
  if (live.value === undefined) return <Missing />;
  return <ComplaintForm route={route} customer={live.value.customer} />;
}

type Errors = Partial<Record<"category" | "description" | "received" | "form", string>>;

function ComplaintForm({ route, customer }: { route: Route; customer: Customer }) {
  const categories = useLive(complaintCategories, []).value ?? [];
  const [category, setCategory] = useState("");
  const [severity, setSeverity] = useState<Severity>("medium");
  const [intake, setIntake] = useState<IntakeChannel>("in_person");
  const [description, setDescription] = useState("");
  const [received, setReceived] = useState(() => toLocalInput(now()));
  const [errors, setErrors] = useState<Errors>({});
  const [saving, setSaving] = useState(false);
  const zh = locale() === "zh-CN";

  async function save(event: Event) {
    event.preventDefault();
    const found: Errors = {};
    if (!category) found.category = t("form.required");
    if (!description.trim()) found.description = t("form.required");
    const long = limitError(description, LIMITS.complaintDescription);
    if (long) found.description = long;
    const receivedAt = received ? new Date(received) : null;
    if (receivedAt === null || Number.isNaN(receivedAt.getTime()))
      found.received = t("form.required");
    else if (receivedAt.getTime() > now().getTime() + 60_000)
      found.received = t("complaint.errFuture");
    if (Object.keys(found).length > 0) {
      setErrors({ ...found, form: t("form.fixErrors") });
      return;
    }
    setErrors({});
    setSaving(true);
    try {
      await logComplaint({
        customer_id: customer.id,
        category,
        severity,
        intake_channel: intake,
        description: description.trim(),
        received_at: isoWithOffset(receivedAt!),
      });
      returnTo(route, customer.id);
    } catch (error) {
      setErrors({ form: (error as Error).message });
      setSaving(false);
    }
  }

  return (
    <section class="fb-screen" aria-labelledby="complaint-form-title">
      <a class="fb-back" href={href("customer", { id: customer.id })}>
        {t("form.backTo", { name: customer.name })}
      </a>
      <h1 id="complaint-form-title">{t("complaint.newTitle", { name: customer.name })}</h1>
      <form class="fb-form" data-testid="complaint-form" onSubmit={save} noValidate>
        <Field label={t("complaint.category")} error={errors.category}>
          {(props) => (
            <select
              {...props}
              name="category"
              required
              value={category}
              onChange={(e) => setCategory(e.currentTarget.value)}
            >
              <option value="">{t("form.choose")}</option>
              {categories.map((c) => (
                <option key={c.code} value={c.code}>
                  {zh ? c.name_zh : c.name_en}
                </option>
              ))}
            </select>
          )}
        </Field>
        <SelectField
          label={t("complaint.severity")}
          name="severity"
          options={SEVERITIES}
          prefix="severity."
          value={severity}
          onChange={setSeverity}
        />
        <SelectField
          label={t("complaint.intake")}
          name="intake_channel"
          options={INTAKE}
          prefix="intake."
          value={intake}
          onChange={setIntake}
        />
        <Field
          label={t("complaint.description")}
          error={errors.description}
          limit={{ text: description, max: LIMITS.complaintDescription }}
        >
          {(props) => (
            <textarea
              {...props}
              name="description"
              required
              rows={5}
              value={description}
              onInput={(e) => setDescription(e.currentTarget.value)}
            />
          )}
        </Field>
        <Field label={t("complaint.received")} error={errors.received}>
          {(props) => (
            <input
              {...props}
              type="datetime-local"
              name="received_at"
              required
              max={toLocalInput(now())}
              value={received}
              onInput={(e) => setReceived(e.currentTarget.value)}
            />
          )}
        </Field>
        <FormFooter
          error={errors.form}
          saving={saving}
          label={t("complaint.save")}
          testid="complaint-save"
          cancelHref={href("customer", { id: customer.id })}
        />
      </form>
    </section>
  );
}
