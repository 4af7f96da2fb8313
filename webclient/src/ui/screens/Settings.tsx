import { useState } from "preact/hooks";
import { myNumbers } from "../../data";
import { fmtDateTime, fmtFixed, fmtNumber, setLocale, t, useLocale, type Locale } from "../../i18n";
import { SyncHttpError } from "../../sync";
import { changePassword, logout, session } from "../../sync/session";
import { reminderSettings } from "../../reminders";
import { useLive } from "../components/useLive";
import { turnRemindersOff, turnRemindersOn } from "../reminders";
import { href } from "../router";
import type { ScreenProps } from "./types";

const LANGUAGES: { value: Locale; label: string }[] = [
  { value: "zh-CN", label: "中文" },
  { value: "en", label: "English" },
];

export function Settings({ engine }: ScreenProps) {
  const current = useLocale();
  const state = session.value;
  const status = engine.status.value;
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const user = state.kind === "signed_in" ? state.user : null;

  async function signOut() {
    setBusy(true);
    engine.stop();
    await logout();
  }

  return (
    <section class="fb-screen" aria-labelledby="settings-title">
      <h1 id="settings-title">{t("settings.title")}</h1>
      {user && (
        <dl class="fb-facts">
          <div>
            <dt>{t("settings.name")}</dt>
            <dd data-testid="settings-user">{user.display_name || user.username}</dd>
          </div>
          <div>
            <dt>{t("settings.username")}</dt>
            <dd>{user.username}</dd>
          </div>
          <div>
            <dt>{t("settings.role")}</dt>
            <dd>{t(`settings.role.${user.role}`)}</dd>
          </div>
          {user.team && (
            <div>
              <dt>{t("settings.team")}</dt>
              <dd>{user.team.name}</dd>
            </div>
          )}
        </dl>
      )}

      <MyNumbersLink />

      <fieldset class="fb-choices">
        <legend>{t("settings.language")}</legend>
        <div class="fb-choice-row">
          {LANGUAGES.map((language) => (
            <label key={language.value} class="fb-choice" lang={language.value}>
              <input
                type="radio"
                name="language"
                checked={current === language.value}
                onChange={() => setLocale(language.value)}
              />
              <span>{language.label}</span>
            </label>
          ))}
        </div>
      </fieldset>

      <RemindersSetting />

      <PasswordChange />

      <section class="fb-group" aria-labelledby="signout-title">
        <h2 id="signout-title">{t("settings.signOutTitle")}</h2>
        <p class="fb-meta">{t("settings.signOutExplain")}</p>
        {confirming && status.pending > 0 ? (
          <div class="fb-notice fb-notice-warn" role="alert">
            <p>{t("settings.unsent", { count: fmtNumber(status.pending) })}</p>
            <div class="fb-actions">
              <button
                type="button"
                class="fb-button"
                disabled={status.syncing || !status.online}
                onClick={() => void engine.syncNow()}
              >
                {status.syncing ? t("sync.syncing") : t("settings.syncFirst")}
              </button>
              <button
                type="button"
                class="fb-button fb-danger"
                data-testid="signout-confirm"
                disabled={busy}
                onClick={signOut}
              >
                {t("settings.signOutAnyway")}
              </button>
              <button
                type="button"
                class="fb-button fb-secondary"
                onClick={() => setConfirming(false)}
              >
                {t("action.cancel")}
              </button>
            </div>
            {!status.online && <p class="fb-meta">{t("settings.offlineNoSync")}</p>}
          </div>
        ) : (
          <div class="fb-actions">
            <button
              type="button"
              class="fb-button fb-danger"
              data-testid="signout-button"
              disabled={busy}
              onClick={() => (status.pending > 0 ? setConfirming(true) : signOut())}
            >
              {t("settings.signOut")}
            </button>
          </div>
        )}
      </section>
    </section>
  );
}

/** Reminders on this phone: off until turned on here, which is when the browser asks. */
function RemindersSetting() {
  const settings = useLive(reminderSettings, []).value;
  const [message, setMessage] = useState("");
  // What the user asked for while the browser and the database answer.
  const [asked, setAsked] = useState<boolean | null>(null);
  const granted = typeof Notification !== "undefined" && Notification.permission === "granted";
  const on = asked ?? (settings?.enabled === true && granted);

  async function toggle(wanted: boolean) {
    setAsked(wanted);
    setMessage("");
    try {
      if (!wanted) await turnRemindersOff();
      else {
        const result = await turnRemindersOn();
        if (result !== "on") setMessage(t(`reminders.${result}`));
      }
    } finally {
      setAsked(null);
    }
  }

  return (
    <section class="fb-group" aria-labelledby="reminders-title">
      <h2 id="reminders-title">{t("reminders.setting")}</h2>
      <label class="fb-check">
        <input
          type="checkbox"
          name="reminders"
          data-testid="reminders-toggle"
          checked={on}
          disabled={asked !== null}
          onChange={(e) => void toggle(e.currentTarget.checked)}
        />
        <span>{t("reminders.toggle")}</span>
      </label>
      <p class="fb-meta">{t("reminders.explain")}</p>
      <p class="fb-error" role="alert" hidden={!message}>
        {message}
      </p>
    </section>
  );
}

/** "My numbers" lives here, under "Me" (我的 › 我的指标): the tab bar has no room left. */
function MyNumbersLink() {
  const numbers = useLive(myNumbers, []).value ?? null;
  const score = numbers?.current.score ?? null;
  return (
    <ul class="fb-list">
      <li>
        <a class="fb-row" href={href("myNumbers")} data-testid="my-numbers-link">
          <span class="fb-row-name">{t("numbers.title")}</span>
          <span class="fb-meta">
            {score === null
              ? t("numbers.linkHint")
              : t("numbers.linkScore", { score: fmtFixed(score, 1) })}
          </span>
        </a>
      </li>
    </ul>
  );
}

type PasswordField = "current" | "next" | "again";

/** The user's own password change: the server signs out their other devices, not this one. */
function PasswordChange() {
  const [open, setOpen] = useState(false);
  const [values, setValues] = useState<Record<PasswordField, string>>({
    current: "",
    next: "",
    again: "",
  });
  const [errors, setErrors] = useState<Partial<Record<PasswordField | "form", string>>>({});
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState(false);

  async function submit(event: Event) {
    event.preventDefault();
    setDone(false);
    const found: Partial<Record<PasswordField, string>> = {};
    if (values.current === "") found.current = t("password.error.currentMissing");
    if (values.next === "") found.next = t("password.error.rules");
    else if (values.next === values.current) found.next = t("password.error.same");
    else if (values.again !== values.next) found.again = t("password.error.mismatch");
    setErrors(found);
    if (Object.keys(found).length > 0) return;
    setBusy(true);
    try {
      await changePassword(values.current, values.next);
      setValues({ current: "", next: "", again: "" });
      setOpen(false);
      setDone(true);
    } catch (err) {
      setErrors(passwordErrors(err));
    } finally {
      setBusy(false);
    }
  }

  function field(name: PasswordField, autocomplete: string) {
    const id = `password-${name}`;
    const error = errors[name];
    return (
      <div class="fb-field">
        <label for={id}>{t(`password.${name}`)}</label>
        <input
          id={id}
          name={name}
          type="password"
          autocomplete={autocomplete}
          aria-invalid={error ? "true" : undefined}
          aria-describedby={error ? `${id}-error` : name === "next" ? "password-rules" : undefined}
          value={values[name]}
          onInput={(e) => setValues({ ...values, [name]: e.currentTarget.value })}
        />
        {error && (
          <p class="fb-error" id={`${id}-error`}>
            {error}
          </p>
        )}
      </div>
    );
  }

  return (
    <section class="fb-group" aria-labelledby="password-title">
      <h2 id="password-title">{t("password.title")}</h2>
      {done && (
        <p class="fb-meta" role="status" data-testid="password-changed">
          {t("password.changed")}
        </p>
      )}
      {open ? (
        <form class="fb-form" data-testid="password-form" onSubmit={submit} noValidate>
          {field("current", "current-password")}
          {field("next", "new-password")}
          <p class="fb-meta" id="password-rules">
            {t("password.rules")}
          </p>
          {field("again", "new-password")}
          <p class="fb-error" role="alert" hidden={!errors.form}>
            {errors.form ?? ""}
          </p>
          <div class="fb-actions">
            <button type="submit" class="fb-button" disabled={busy}>
              {busy ? t("password.saving") : t("password.submit")}
            </button>
            <button
              type="button"
              class="fb-button fb-secondary"
              onClick={() => {
                setOpen(false);
                setErrors({});
              }}
            >
              {t("action.cancel")}
            </button>
          </div>
        </form>
      ) : (
        <div class="fb-actions">
          <button
            type="button"
            class="fb-button fb-secondary"
            data-testid="password-open"
            onClick={() => setOpen(true)}
          >
            {t("password.open")}
          </button>
        </div>
      )}
    </section>
  );
}

/** The server's refusal, worded on the field it concerns. */
function passwordErrors(err: unknown): Partial<Record<PasswordField | "form", string>> {
  if (err instanceof SyncHttpError) {
    const fields = (err.details.fields ?? {}) as Record<string, unknown>;
    if (err.status === 422 && "current_password" in fields)
      return { current: t("password.error.current") };
    if (err.status === 422 && "new_password" in fields) return { next: t("password.error.rules") };
    if (err.code === "account_locked") {
      const until = err.details.locked_until;
      return {
        form: t("password.error.locked", {
          until: typeof until === "string" ? fmtDateTime(until) : "?",
        }),
      };
    }
    return { form: t("login.error.server", { status: err.status }) };
  }
  if (err instanceof TypeError) return { form: t("password.error.offline") };
  return { form: t("login.error.server", { status: "?" }) };
}
