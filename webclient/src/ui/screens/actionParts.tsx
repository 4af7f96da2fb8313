/** Pieces the lazily loaded action screens share (forms of the profile, contacts, visits). */
import type { ComponentChildren } from "preact";
import { ta } from "../../i18n/actions";
import { today } from "../../time";
import { Field } from "../components/Field";

/** As server/schemas.py `PHONE`, with the columns' length (20). */
const PHONE = /^\+?[0-9][0-9 ()-]*$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** The typed text, trimmed; blank is null (the server stores blank as null). */
export function orNull(value: string): string | null {
  const trimmed = value.trim();
  return trimmed === "" ? null : trimmed;
}

function phoneError(value: string): string | undefined {
  const v = value.trim();
  return v === "" || (v.length <= 20 && PHONE.test(v)) ? undefined : ta("act.errPhone");
}

function emailError(value: string): string | undefined {
  const v = value.trim();
  return v === "" || (v.length <= 120 && EMAIL.test(v)) ? undefined : ta("act.errEmail");
}

function birthdayError(value: string): string | undefined {
  return value !== "" && value > today() ? ta("act.errFuture") : undefined;
}

/**
 * A labelled text input or textarea. No `maxLength`: text over a limit is refused with
 * the server's message, never cut (the field counters belong to components/Field.tsx).
 */
export function TextField({
  label,
  name,
  value,
  onInput,
  error,
  hint,
  type = "text",
  rows,
}: {
  label: ComponentChildren;
  name: string;
  value: string;
  onInput: (value: string) => void;
  error?: string | undefined;
  hint?: ComponentChildren;
  type?: "text" | "tel" | "email" | "date";
  /** A textarea of this many rows. */
  rows?: number;
}) {
  return (
    <Field label={label} hint={hint} error={error}>
      {(props) =>
        rows ? (
          <textarea
            {...props}
            name={name}
            rows={rows}
            value={value}
            onInput={(e) => onInput(e.currentTarget.value)}
          />
        ) : type === "date" ? (
          <input
            {...props}
            type="date"
            name={name}
            value={value}
            max={today()}
            onInput={(e) => onInput(e.currentTarget.value)}
          />
        ) : (
          <input
            {...props}
            // One of the textual types; Preact types each type's attributes apart.
            type={type as "text"}
            name={name}
            value={value}
            onInput={(e) => onInput(e.currentTarget.value)}
          />
        )
      }
    </Field>
  );
}

/** One text field of a form: its name, label and kind. */
export interface TextSpec<N extends string> {
  name: N;
  label: string;
  type?: "text" | "tel" | "email" | "date";
  rows?: number;
  hint?: string;
}

/** A run of text fields over one record of values and errors. */
export function TextFields<N extends string>({
  specs,
  values,
  errors,
  onInput,
}: {
  specs: TextSpec<N>[];
  values: Record<N, string>;
  errors: Partial<Record<N, string>>;
  onInput: (name: N, value: string) => void;
}) {
  return (
    <>
      {specs.map((spec) => (
        <TextField
          key={spec.name}
          {...spec}
          value={values[spec.name]}
          error={errors[spec.name]}
          onInput={(value) => onInput(spec.name, value)}
        />
      ))}
    </>
  );
}

/** The phone, e-mail and birthday checks a profile and a contact share, by field. */
export function contactWayErrors(values: {
  phone?: string;
  phone2?: string;
  email?: string;
  birthday?: string;
}): Record<string, string> {
  const found: Record<string, string | undefined> = {
    phone: phoneError(values.phone ?? ""),
    phone2: phoneError(values.phone2 ?? ""),
    email: emailError(values.email ?? ""),
    birthday: birthdayError(values.birthday ?? ""),
  };
  return Object.fromEntries(
    Object.entries(found).filter((entry): entry is [string, string] => entry[1] !== undefined),
  );
}

/** A checkbox with its label beside it. */
export function CheckField({
  label,
  name,
  checked,
  onChange,
  hint,
}: {
  label: ComponentChildren;
  name: string;
  checked: boolean;
  onChange: (checked: boolean) => void;
  hint?: ComponentChildren;
}) {
  return (
    <div class="fb-field">
      <label class="fb-check">
        <input
          type="checkbox"
          name={name}
          checked={checked}
          onChange={(e) => onChange(e.currentTarget.checked)}
        />
        <span>{label}</span>
      </label>
      {hint && <p class="fb-hint">{hint}</p>}
    </div>
  );
}

/** The server's field messages of a refusal made on this phone (LocalRefusal), by field. */
export function fieldErrors(error: unknown): Record<string, string> {
  const fields = (error as { fields?: Record<string, string[]> }).fields ?? {};
  return Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, v.join(" ")]));
}
