import { useState } from "preact/hooks";
import type { Customer, Gender } from "../../db";
import { customerCard, updateCustomerProfile, type ProfileChanges } from "../../data";
import { t, useLocale } from "../../i18n";
import { ta } from "../../i18n/actions";
import { navigate, href } from "../router";
import { Field, FormFooter } from "../components/Field";
import { useLive } from "../components/useLive";
import { Missing } from "./LogVisit";
import {
  CheckField,
  contactWayErrors,
  fieldErrors,
  orNull,
  TextFields,
  type TextSpec,
} from "./actionParts";
import type { ScreenProps } from "./types";
import "../screens.css";

/** The profile fields a manager may change (server: customers/services.py `LEAD_ONLY_FIELDS` are not). */
const TEXT_FIELDS = [
  "phone",
  "phone2",
  "email",
  "address",
  "employer",
  "position",
  "industry",
  "interests",
  "birthday",
  "notes",
] as const;
type TextName = (typeof TEXT_FIELDS)[number];
type Values = Record<TextName, string>;

export function EditProfile({ route }: ScreenProps) {
  useLocale();
  const id = route.params.id ?? "";
  const live = useLive(() => customerCard(id), [id]);
  if (!live.ready) return <p class="fb-screen">{t("portfolio.loading")}</p>;
  if (live.value === undefined) return <Missing />;
  return <ProfileForm key={live.value.customer.id} customer={live.value.customer} />;
}

function ProfileForm({ customer }: { customer: Customer }) {
  const [values, setValues] = useState<Values>(
    () => Object.fromEntries(TEXT_FIELDS.map((name) => [name, customer[name] ?? ""])) as Values,
  );
  const [gender, setGender] = useState<Gender | "">(customer.gender ?? "");
  const [lunar, setLunar] = useState(customer.birthday_lunar);
  const [errors, setErrors] = useState<Partial<Record<TextName | "form", string>>>({});
  const [saving, setSaving] = useState(false);
  const organisation = customer.kind === "organisation";
  const onInput = (name: TextName, value: string) => setValues({ ...values, [name]: value });
  const back = href("customer", { id: customer.id });
  const field = (
    name: TextName,
    label: string,
    extra: Omit<TextSpec<TextName>, "name" | "label"> = {},
  ): TextSpec<TextName> => ({ name, label, ...extra });
  const contactWays = [
    field("phone", t("profile.phone"), { type: "tel" }),
    field("phone2", ta("act.phone2"), { type: "tel" }),
    field("email", t("profile.email"), { type: "email" }),
    field("address", t("profile.address"), { rows: 2 }),
    ...(organisation
      ? [field("industry", t("profile.industry"))]
      : [field("employer", t("profile.employer")), field("position", ta("act.position"))]),
    ...(organisation ? [] : [field("birthday", t("profile.birthday"), { type: "date" })]),
  ];
  const more = [
    field("interests", t("profile.interests"), { rows: 2 }),
    field("notes", t("profile.notes"), { rows: 4 }),
  ];

  async function save(event: Event) {
    event.preventDefault();
    const found = contactWayErrors(values);
    if (Object.keys(found).length > 0) {
      setErrors({ ...found, form: t("form.fixErrors") });
      return;
    }
    const changes: ProfileChanges = {
      ...Object.fromEntries(TEXT_FIELDS.map((name) => [name, orNull(values[name])])),
      gender: gender === "" ? null : gender,
      birthday_lunar: lunar,
    };
    setSaving(true);
    try {
      // Only the fields that differ travel, each with the value this phone had (its base).
      await updateCustomerProfile(customer.id, changes);
      navigate("customer", { id: customer.id });
    } catch (error) {
      setErrors({ ...fieldErrors(error), form: (error as Error).message });
      setSaving(false);
    }
  }

  return (
    <section class="fb-screen" aria-labelledby="profile-form-title">
      <a class="fb-back" href={back}>
        {t("form.backTo", { name: customer.name })}
      </a>
      <h1 id="profile-form-title">{ta("act.profileTitle")}</h1>
      <p class="fb-meta">
        {customer.name} · {customer.external_no}
      </p>
      <p class="fb-hint">{ta("act.profileHint")}</p>
      <form class="fb-form" data-testid="profile-form" onSubmit={save} noValidate>
        <TextFields specs={contactWays} values={values} errors={errors} onInput={onInput} />
        {!organisation && (
          <>
            <CheckField
              label={ta("act.lunar")}
              name="birthday_lunar"
              checked={lunar}
              onChange={setLunar}
            />
            <Field label={t("profile.gender")}>
              {(props) => (
                <select
                  {...props}
                  name="gender"
                  value={gender}
                  onChange={(e) => setGender(e.currentTarget.value as Gender | "")}
                >
                  <option value="">{ta("act.genderUnknown")}</option>
                  <option value="female">{t("gender.female")}</option>
                  <option value="male">{t("gender.male")}</option>
                </select>
              )}
            </Field>
          </>
        )}
        <TextFields specs={more} values={values} errors={errors} onInput={onInput} />
        <p class="fb-hint">{ta("act.leadOnly")}</p>
        <FormFooter
          error={errors.form}
          saving={saving}
          label={t("action.save")}
          testid="profile-save"
          cancelHref={back}
        />
      </form>
    </section>
  );
}
