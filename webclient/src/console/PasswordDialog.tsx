import { useState } from "preact/hooks";
import { api, ApiError } from "./api";
import { fmtDateTime, t } from "./i18n";
import { Dialog } from "./ui/Dialog";
import { TextInput, WriteError } from "./ui/forms";
import { Notice } from "./ui/States";

type Field = "current" | "next" | "again";

/** The signed-in user's own password change; the server keeps this browser signed in. */
export function PasswordDialog({ onClose }: { onClose: () => void }) {
  const [values, setValues] = useState<Record<Field, string>>({
    current: "",
    next: "",
    again: "",
  });
  const [errors, setErrors] = useState<Partial<Record<Field, string>>>({});
  const [error, setError] = useState<unknown>(null);
  const [locked, setLocked] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState(false);

  async function submit(event: Event) {
    event.preventDefault();
    setError(null);
    setLocked(null);
    setDone(false);
    const found: Partial<Record<Field, string>> = {};
    if (values.next !== values.again) found.again = t("console.password.mismatch");
    if (values.next !== "" && values.next === values.current)
      found.next = t("console.password.same");
    setErrors(found);
    if (Object.keys(found).length > 0) return;
    setBusy(true);
    try {
      await api.changePassword(values.current, values.next);
      setValues({ current: "", next: "", again: "" });
      setDone(true);
    } catch (err) {
      if (err instanceof ApiError && "current_password" in err.fields)
        setErrors({ current: t("console.password.currentWrong") });
      else if (err instanceof ApiError && err.code === "account_locked") {
        const until = err.details.locked_until;
        setLocked(
          t("console.password.locked", {
            until: typeof until === "string" ? fmtDateTime(until) : "?",
          }),
        );
      } else if (err instanceof ApiError && "new_password" in err.fields)
        setErrors({ next: String((err.fields.new_password as string[])[0] ?? "") });
      else setError(err);
    } finally {
      setBusy(false);
    }
  }

  const input = (name: Field, autocomplete: string, hint?: string) => (
    <TextInput
      label={t(`console.password.${name}`)}
      name={`password_${name}`}
      type="password"
      autocomplete={autocomplete}
      value={values[name]}
      onValue={(v) => setValues((current) => ({ ...current, [name]: v }))}
      error={errors[name] ?? null}
      hint={hint}
    />
  );

  return (
    <Dialog
      title={t("console.password.title")}
      titleId="password-title"
      testid="password-dialog"
      onClose={onClose}
    >
      <form onSubmit={submit} noValidate class="cn-form">
        {input("current", "current-password")}
        {input("next", "new-password", t("console.password.rules"))}
        {input("again", "new-password")}
        {done && <Notice kind="ok">{t("console.password.changed")}</Notice>}
        {locked && <Notice kind="error">{locked}</Notice>}
        <WriteError error={error} />
        <p class="cn-actions">
          <button type="submit" class="cn-button" disabled={busy} data-testid="password-submit">
            {t("console.password.submit")}
          </button>
        </p>
      </form>
    </Dialog>
  );
}
