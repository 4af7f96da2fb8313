import type { ComponentChildren } from "preact";
import { fmtNumber, t, type MessageKey } from "../../i18n";
import { textLength } from "../../limits";
import { Field as Labelled, type FieldProps } from "./Labelled";

export { Choices, type ControlProps } from "./Labelled";

/**
 * A labelled control (./Labelled). With `limit` (its text and the most characters the
 * server takes, from LIMITS in src/limits.ts) it counts what was typed and, past the
 * limit, says by how much: nothing typed or pasted is ever cut (no `maxLength`), and
 * the form refuses to save while `limitError` finds fault.
 */
export function Field({
  limit,
  error,
  ...props
}: Omit<FieldProps, "count"> & { limit?: { text: string; max: number } }) {
  if (!limit) return <Labelled error={error} {...props} />;
  const length = textLength(limit.text);
  const count = {
    text: t("form.count", { length: fmtNumber(length), max: fmtNumber(limit.max) }),
    over: length > limit.max,
  };
  return <Labelled error={limitError(limit.text, limit.max) ?? error} count={count} {...props} />;
}

/** What is wrong with `text` against a limit of `max` characters, or null: a form's check. */
export function limitError(text: string, max: number): string | null {
  const length = textLength(text);
  if (length <= max) return null;
  return t("form.tooLong", { max: fmtNumber(max), over: fmtNumber(length - max) });
}

/** The codes `c` for which `prefix + c` is a message key. */
type CodesAfter<Prefix extends string, Key = MessageKey> = Key extends `${Prefix}${infer Code}`
  ? Code
  : never;

/**
 * A labelled select whose options are codes shown as `t(prefix + code)`; an option
 * without a message under `prefix` fails `tsc`.
 */
export function SelectField<P extends string, T extends CodesAfter<P>>({
  label,
  name,
  options,
  prefix,
  value,
  onChange,
}: {
  label: ComponentChildren;
  name: string;
  options: readonly T[];
  prefix: P;
  value: T;
  onChange: (value: T) => void;
}) {
  return (
    <Field label={label}>
      {(props) => (
        <select
          {...props}
          name={name}
          value={value}
          onChange={(e) => onChange(e.currentTarget.value as T)}
        >
          {options.map((option) => (
            <option key={option} value={option}>
              {t(`${prefix}${option}` as MessageKey)}
            </option>
          ))}
        </select>
      )}
    </Field>
  );
}

/** A form's end: its announced form-level error, the save button and a cancel link. */
export function FormFooter({
  error,
  saving,
  label,
  testid,
  cancelHref,
}: {
  error?: string | null;
  saving: boolean;
  label: string;
  testid: string;
  cancelHref: string;
}) {
  return (
    <>
      <p class="fb-error" role="alert" hidden={!error}>
        {error}
      </p>
      <div class="fb-actions">
        <button type="submit" class="fb-button" data-testid={testid} disabled={saving}>
          {label}
        </button>
        <a class="fb-button fb-secondary" href={cancelHref}>
          {t("action.cancel")}
        </a>
      </div>
    </>
  );
}
