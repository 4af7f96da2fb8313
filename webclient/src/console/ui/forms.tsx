import type { ComponentChildren } from "preact";
import { useState } from "preact/hooks";
import { Field } from "../../ui/components/Labelled";
import { ApiError, fieldMessages } from "../api";
import { errorText, Notice } from "./States";

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

/**
 * What went wrong with a write, unless the fields show it: by default, when the API named
 * no field; with `fields`, when none of those the form shows has a message. `inline` in a
 * table row, an announced notice elsewhere.
 */
export function WriteError({
  error,
  fields,
  inline = false,
}: {
  error: unknown;
  fields?: string[];
  inline?: boolean;
}) {
  if (error === null) return null;
  if (fields ? fields.some((path) => fieldError(error, path)) : hasFieldErrors(error)) return null;
  return inline ? (
    <p class="cn-error">{errorText(error)}</p>
  ) : (
    <Notice kind="error">{errorText(error)}</Notice>
  );
}

/**
 * A form of text fields that writes once submitted: its values, `field(name)` (the props
 * that bind an input to a field: name, value, setter, and the API's message for it after
 * a failed write), and `submit(write)`, the form's submit handler: busy while `write`
 * runs, its error kept for the fields and `WriteError`.
 */
export function useForm<T extends Record<string, string>>(empty: T) {
  const [values, setValues] = useState<T>(empty);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  return {
    values,
    error,
    busy,
    reset: () => setValues(empty),
    field: (name: keyof T & string) => ({
      name,
      value: values[name],
      onValue: (value: string) => setValues((current) => ({ ...current, [name]: value })),
      error: fieldError(error, name),
    }),
    submit: (write: () => Promise<void>) => async (event: Event) => {
      event.preventDefault();
      setBusy(true);
      setError(null);
      try {
        await write();
      } catch (err) {
        setError(err);
      } finally {
        setBusy(false);
      }
    },
  };
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

/**
 * An input in a table cell, named by `label` for a screen reader (the column says it to
 * the eye), with the API's message for it under it.
 */
export function CellInput({
  label,
  value,
  onValue,
  error,
  type,
  size,
  step,
}: {
  label: string;
  value: string;
  onValue: (value: string) => void;
  error?: string | null;
  type?: "text" | "number";
  size?: number;
  step?: string;
}) {
  return (
    <td>
      <input
        // Preact types each input `type` apart; these props suit both.
        type={type as "text"}
        step={step}
        size={size}
        aria-label={label}
        aria-invalid={error ? true : undefined}
        value={value}
        onInput={(e) => onValue(e.currentTarget.value)}
      />
      {error && <p class="cn-error">{error}</p>}
    </td>
  );
}

/**
 * The two steps of a bulk write: check it (a dry run), then apply what was checked.
 * Apply waits for a check; both wait while either runs.
 */
export function CheckThenApply({
  check,
  apply,
  checked,
  busy,
  canCheck = true,
  onRun,
  checkTestid,
  applyTestid,
}: {
  check: ComponentChildren;
  apply: ComponentChildren;
  /** A check answered, and nothing changed since. */
  checked: boolean;
  busy: boolean;
  canCheck?: boolean;
  onRun: (dryRun: boolean) => void;
  checkTestid?: string;
  applyTestid?: string;
}) {
  return (
    <>
      <button
        type="button"
        class="cn-button cn-secondary"
        data-testid={checkTestid}
        disabled={busy || !canCheck}
        onClick={() => onRun(true)}
      >
        {check}
      </button>
      <button
        type="button"
        class="cn-button"
        data-testid={applyTestid}
        disabled={busy || !checked}
        onClick={() => onRun(false)}
      >
        {apply}
      </button>
    </>
  );
}
