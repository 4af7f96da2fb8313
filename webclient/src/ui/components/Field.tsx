import type { ComponentChildren } from "preact";
import { useId } from "preact/hooks";
import { t, type MessageKey } from "../../i18n";

/** What a control needs to be tied to its label, hint and error. */
export interface ControlProps {
  id: string;
  "aria-describedby"?: string;
  "aria-invalid"?: true;
}

/**
 * A labelled form control: the label is always visible, the hint and the error are
 * read out with the control, and the error is announced when it appears.
 */
export function Field({
  label,
  hint,
  error,
  children,
}: {
  label: ComponentChildren;
  hint?: ComponentChildren;
  error?: string | null;
  children: (props: ControlProps) => ComponentChildren;
}) {
  const id = useId();
  const described = [hint ? `${id}-hint` : "", error ? `${id}-error` : ""]
    .filter(Boolean)
    .join(" ");
  return (
    <div class="fb-field">
      <label for={id}>{label}</label>
      {hint && (
        <p class="fb-hint" id={`${id}-hint`}>
          {hint}
        </p>
      )}
      {children({
        id,
        ...(described ? { "aria-describedby": described } : {}),
        ...(error ? { "aria-invalid": true as const } : {}),
      })}
      <p class="fb-error" id={`${id}-error`} role="alert" hidden={!error}>
        {error}
      </p>
    </div>
  );
}

/** A fieldset of choices with a visible legend (radio groups). */
export function Choices<T extends string | number>({
  legend,
  name,
  options,
  value,
  onChange,
  error,
}: {
  legend: ComponentChildren;
  name: string;
  options: { value: T; label: string }[];
  value: T | null;
  onChange: (value: T) => void;
  error?: string | null;
}) {
  const id = useId();
  return (
    <fieldset class="fb-choices" aria-describedby={error ? `${id}-error` : undefined}>
      <legend>{legend}</legend>
      <div class="fb-choice-row">
        {options.map((option) => (
          <label key={String(option.value)} class="fb-choice">
            <input
              type="radio"
              name={name}
              value={String(option.value)}
              checked={value === option.value}
              onChange={() => onChange(option.value)}
            />
            <span>{option.label}</span>
          </label>
        ))}
      </div>
      <p class="fb-error" id={`${id}-error`} role="alert" hidden={!error}>
        {error}
      </p>
    </fieldset>
  );
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
