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
