import type { ComponentChildren } from "preact";
import { Field } from "../../ui/components/Labelled";
import { ApiError, fieldMessages } from "../api";

/** The API's messages for one field of a failed write, joined; null when there are none. */
export function fieldError(error: unknown, path: string): string | null {
  if (!(error instanceof ApiError)) return null;
  const messages = fieldMessages(error.fields, path);
  return messages.length ? messages.join(" ") : null;
}

/** Whether a failed write named fields (then the messages show next to them). */
export function hasFieldErrors(error: unknown): boolean {
  return error instanceof ApiError && Object.keys(error.fields).length > 0;
}

interface InputProps {
  label: ComponentChildren;
  name: string;
  value: string | number;
  onValue: (value: string) => void;
  error?: string | null;
  hint?: ComponentChildren;
  type?: "text" | "search" | "number" | "date" | "password" | "email" | "tel";
  min?: number | string;
  max?: number | string;
  step?: number | string;
  autocomplete?: string;
  testid?: string;
}

/** A labelled input whose API error shows under it and is read out with it. */
export function TextInput({
  label,
  name,
  value,
  onValue,
  error,
  hint,
  testid,
  ...rest
}: InputProps) {
  return (
    <Field label={label} error={error ?? null} hint={hint}>
      {(props) => (
        <input
          // Preact types each input `type` apart; these props suit every type listed.
          {...(rest as Record<string, unknown>)}
          {...props}
          data-testid={testid}
          name={name}
          value={value}
          onInput={(e) => onValue(e.currentTarget.value)}
        />
      )}
    </Field>
  );
}

export function TextArea({
  label,
  name,
  value,
  onValue,
  error,
  rows = 3,
}: {
  label: ComponentChildren;
  name: string;
  value: string;
  onValue: (value: string) => void;
  error?: string | null;
  rows?: number;
}) {
  return (
    <Field label={label} error={error ?? null}>
      {(props) => (
        <textarea
          {...props}
          name={name}
          rows={rows}
          value={value}
          onInput={(e) => onValue(e.currentTarget.value)}
        />
      )}
    </Field>
  );
}

export interface Option {
  value: string;
  label: string;
}

export function Select({
  label,
  name,
  value,
  options,
  onValue,
  error,
  testid,
}: {
  label: ComponentChildren;
  name: string;
  value: string;
  options: Option[];
  onValue: (value: string) => void;
  error?: string | null;
  testid?: string;
}) {
  return (
    <Field label={label} error={error ?? null}>
      {(props) => (
        <select
          {...props}
          name={name}
          value={value}
          data-testid={testid}
          onChange={(e) => onValue(e.currentTarget.value)}
        >
          {options.map((o) => (
            <option key={o.value} value={o.value}>
              {o.label}
            </option>
          ))}
        </select>
      )}
    </Field>
  );
}

export function Check({
  label,
  name,
  checked,
  onChange,
}: {
  label: ComponentChildren;
  name: string;
  checked: boolean;
  onChange: (checked: boolean) => void;
}) {
  return (
    <label class="cn-check">
      <input
        type="checkbox"
        name={name}
        checked={checked}
        onChange={(e) => onChange(e.currentTarget.checked)}
      />
      <span>{label}</span>
    </label>
  );
}
