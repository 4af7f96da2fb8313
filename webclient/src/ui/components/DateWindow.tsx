import { t } from "../../i18n";
import { tw } from "../../i18n/messages/work";
import { today } from "../../time";
import { Field } from "./Field";

/**
 * A plan's window, "from" and "until": moving "from" past "until" moves "until" along;
 * "until" cannot be picked before today (the forms refuse it too).
 */
export function DateWindow({
  from,
  to,
  onChange,
  error,
}: {
  from: string;
  to: string;
  onChange: (from: string, to: string) => void;
  error?: string | undefined;
}) {
  return (
    <>
      <Field label={tw("work.from")}>
        {(props) => (
          <input
            {...props}
            type="date"
            name="due_from"
            value={from}
            onInput={(e) => {
              const value = e.currentTarget.value;
              onChange(value, value && (!to || to < value) ? value : to);
            }}
          />
        )}
      </Field>
      <Field label={tw("work.to")} error={error}>
        {(props) => (
          <input
            {...props}
            type="date"
            name="due_to"
            min={from > today() ? from : today()}
            value={to}
            onInput={(e) => onChange(from, e.currentTarget.value)}
          />
        )}
      </Field>
    </>
  );
}

/** The window's error, if any: both days given, in order, not ending before today. */
export function windowError(from: string, to: string): string | null {
  if (!from || !to) return t("form.required");
  if (to < from) return tw("work.errOrder");
  if (to < today()) return tw("work.errPast");
  return null;
}
