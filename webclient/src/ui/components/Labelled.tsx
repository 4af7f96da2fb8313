/*
 * Labelled controls without any words of their own, so both apps (the phone's forms and
 * the console's) share them without pulling either app's messages.
 */
import type { ComponentChildren } from "preact";
import { useId } from "preact/hooks";

/** What a control needs to be tied to its label, hint and error. */
export interface ControlProps {
  id: string;
  "aria-describedby"?: string;
  "aria-invalid"?: true;
}

export interface FieldProps {
  label: ComponentChildren;
  hint?: ComponentChildren;
  error?: string | null;
  /** A count of what was typed against the field's limit ("120 / 4,000"), under it. */
  count?: { text: string; over: boolean };
  children: (props: ControlProps) => ComponentChildren;
}

/**
 * A labelled form control: the label is always visible, the hint, the count and the
 * error are read out with the control, and the error is announced when it appears.
 */
export function Field({ label, hint, error, count, children }: FieldProps) {
  const id = useId();
  const described = [
    hint ? `${id}-hint` : "",
    count ? `${id}-count` : "",
    error ? `${id}-error` : "",
  ]
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
      {count && (
        <p
          class={`fb-field-count${count.over ? " fb-field-count-over" : ""}`}
          id={`${id}-count`}
          data-testid="field-count"
        >
          {count.text}
        </p>
      )}
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
