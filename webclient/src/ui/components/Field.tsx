import type { ComponentChildren } from "preact";
import { t, type MessageKey } from "../../i18n";
import { Field } from "./Labelled";

export { Choices, Field, type ControlProps } from "./Labelled";

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
