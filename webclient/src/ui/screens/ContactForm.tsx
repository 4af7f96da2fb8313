import { useState } from "preact/hooks";
import type { Contact, Customer } from "../../db";
import { addContact, deleteContact, updateContact, type ContactChanges } from "../../data";
import { contactDetail } from "../../data/records";
import { t, useLocale } from "../../i18n";
import { ta } from "../../i18n/actions";
import { FormFooter } from "../components/Field";
import { useLive } from "../components/useLive";
import { href, navigate } from "../router";
import { CheckField, contactWayErrors, fieldErrors, orNull, TextFields } from "./actionParts";
import type { ScreenProps } from "./types";
import "../screens.css";

/** A contact person of an organisation: a new one (`contactId` "new"), or one to edit or remove. */
export function ContactForm({ route }: ScreenProps) {
  useLocale();
  const id = route.params.id ?? "";
  const contactId = route.params.contactId ?? "new";
  const live = useLive(() => contactDetail(id, contactId), [id, contactId]);
  if (!live.ready) return <p class="fb-screen">{t("portfolio.loading")}</p>;
  if (live.value === undefined) {
    return (
      <section class="fb-screen">
        <h1>{ta("act.contactEdit")}</h1>
        <p>{ta("act.contactMissing")}</p>
        <a class="fb-button fb-secondary" href={href("customer", { id })}>
          {t("action.back")}
        </a>
      </section>
    );
  }
  const { customer, contact } = live.value;
  return <Form key={contact?.id ?? "new"} customer={customer} contact={contact} />;
}

type Name = "name" | "title" | "phone" | "email" | "birthday";
type Errors = Partial<Record<Name | "form", string>>;

function Form({ customer, contact }: { customer: Customer; contact: Contact | undefined }) {
  const [values, setValues] = useState<Record<Name, string>>({
    name: contact?.name ?? "",
    title: contact?.title ?? "",
    phone: contact?.phone ?? "",
    email: contact?.email ?? "",
    birthday: contact?.birthday ?? "",
  });
  const [decisionMaker, setDecisionMaker] = useState(contact?.is_decision_maker ?? false);
  const [errors, setErrors] = useState<Errors>({});
  const [saving, setSaving] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const onInput = (name: Name, value: string) => setValues({ ...values, [name]: value });
  const back = href("customer", { id: customer.id });

  async function run(change: () => Promise<unknown>) {
    setSaving(true);
    try {
      await change();
      navigate("customer", { id: customer.id });
    } catch (error) {
      setErrors({ ...fieldErrors(error), form: (error as Error).message });
      setSaving(false);
    }
  }

  function save(event: Event) {
    event.preventDefault();
    const found: Errors = contactWayErrors(values);
    if (!values.name.trim()) found.name = t("form.required");
    if (Object.keys(found).length > 0) {
      setErrors({ ...found, form: t("form.fixErrors") });
      return;
    }
    const fields: ContactChanges = {
      name: values.name.trim(),
      title: orNull(values.title),
      phone: orNull(values.phone),
      email: orNull(values.email),
      birthday: orNull(values.birthday),
      is_decision_maker: decisionMaker,
    };
    void run(() =>
      contact
        ? updateContact(contact.id, fields)
        : addContact(customer.id, { ...fields, name: values.name.trim() }),
    );
  }

  return (
    <section class="fb-screen" aria-labelledby="contact-form-title">
      <a class="fb-back" href={back}>
        {t("form.backTo", { name: customer.name })}
      </a>
      <h1 id="contact-form-title">{ta(contact ? "act.contactEdit" : "act.contactNew")}</h1>
      <p class="fb-meta">{customer.name}</p>
      <form class="fb-form" data-testid="contact-form" onSubmit={save} noValidate>
        <TextFields
          specs={[
            { name: "name", label: ta("act.contactName") },
            { name: "title", label: ta("act.contactTitle") },
            { name: "phone", label: t("profile.phone"), type: "tel" },
            { name: "email", label: t("profile.email"), type: "email" },
            { name: "birthday", label: t("profile.birthday"), type: "date" },
          ]}
          values={values}
          errors={errors}
          onInput={onInput}
        />
        <CheckField
          label={ta("act.decisionMaker")}
          name="is_decision_maker"
          checked={decisionMaker}
          onChange={setDecisionMaker}
          hint={ta("act.decisionMakerHint")}
        />
        <FormFooter
          error={errors.form}
          saving={saving}
          label={t("action.save")}
          testid="contact-save"
          cancelHref={back}
        />
      </form>
      {contact && (
        <section class="fb-section" aria-labelledby="contact-remove">
          <h2 id="contact-remove" class="fb-visually-hidden">
            {ta("act.remove")}
          </h2>
          {confirming ? (
            <div class="fb-confirm" role="group" aria-labelledby="contact-remove-question">
              <p id="contact-remove-question">{ta("act.removeConfirm", { name: contact.name })}</p>
              <div class="fb-actions">
                <button
                  type="button"
                  class="fb-button fb-danger"
                  data-testid="contact-remove-yes"
                  disabled={saving}
                  onClick={() => void run(() => deleteContact(contact.id))}
                >
                  {ta("act.removeYes")}
                </button>
                <button
                  type="button"
                  class="fb-button fb-secondary"
                  onClick={() => setConfirming(false)}
                >
                  {t("action.cancel")}
                </button>
              </div>
            </div>
          ) : (
            <button
              type="button"
              class="fb-button fb-secondary"
              data-testid="contact-remove"
              onClick={() => setConfirming(true)}
            >
              {ta("act.remove")}
            </button>
          )}
        </section>
      )}
    </section>
  );
}
