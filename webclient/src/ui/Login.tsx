import { useState } from "preact/hooks";
import { fmtDateTime, fmtNumber, locale, setLocale, t, useLocale } from "../i18n";
import { OtherUsersChanges, SyncHttpError } from "../sync";
import { login, takeWipedNotice } from "../sync/session";

/** What went wrong, in words the user can act on. */
function errorMessage(err: unknown): string {
  if (err instanceof OtherUsersChanges)
    return t("login.error.otherUser", { count: fmtNumber(err.pending) });
  if (err instanceof SyncHttpError) {
    if (err.status === 401) return t("login.error.credentials");
    if (err.status === 422) return t("login.error.missing");
    if (err.code === "account_locked") {
      const until = err.details.locked_until;
      return t("login.error.locked", {
        until: typeof until === "string" ? fmtDateTime(until) : "?",
      });
    }
    if (err.status === 429) return t("login.error.tooMany");
    if (err.code === "database_unavailable") return t("login.error.unavailable");
    return t("login.error.server", { status: err.status });
  }
  // fetch rejects with a TypeError when no answer came back.
  if (err instanceof TypeError) return t("login.error.offline");
  return t("login.error.server", { status: "?" });
}

/**
 * The sign-in form. `expired`: the device is signed in locally but the server's
 * session has ended; the user's changes wait on the device until they sign in again.
 */
export function Login({
  expired = false,
  username: knownUsername = "",
  pending = 0,
  onSignedIn,
}: {
  expired?: boolean;
  username?: string;
  pending?: number;
  onSignedIn?: () => void;
}) {
  useLocale();
  const [username, setUsername] = useState(knownUsername);
  const [password, setPassword] = useState("");
  const [remember, setRemember] = useState(true);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  // Read once: the notice is shown on the sign-in screen that follows a wipe.
  const [wiped] = useState(() => !expired && takeWipedNotice());

  async function submit(event: Event, discardOthers = false) {
    event.preventDefault();
    if (username.trim() === "" || password === "") {
      setError(new SyncHttpError(422, "validation_error", ""));
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await login(username.trim(), password, remember, { discardOthers });
      setPassword("");
      onSignedIn?.();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  const titleId = expired ? "reauth-title" : "login-title";
  const Heading = expired ? "h2" : "h1";
  return (
    <section class={expired ? "fb-reauth" : "fb-login"} aria-labelledby={titleId}>
      {!expired && (
        <p class="fb-login-brand" aria-hidden="true">
          <img src="/icons/icon-192.png" alt="" width="56" height="56" />
        </p>
      )}
      <Heading id={titleId}>{expired ? t("login.expiredTitle") : t("login.title")}</Heading>
      {wiped && (
        <p class="fb-error" role="status" data-testid="wiped-notice">
          {t("login.wiped")}
        </p>
      )}
      <p class="fb-meta">
        {expired ? t("login.expiredExplain", { count: fmtNumber(pending) }) : t("login.explain")}
      </p>
      <form
        class="fb-form"
        data-testid="login-form"
        onSubmit={(e) => submit(e)}
        aria-describedby={error ? `${titleId}-error` : undefined}
        noValidate
      >
        <div class="fb-field">
          <label for={`${titleId}-username`}>{t("login.username")}</label>
          <input
            id={`${titleId}-username`}
            name="username"
            autocomplete="username"
            autocapitalize="none"
            spellcheck={false}
            required
            value={username}
            onInput={(e) => setUsername(e.currentTarget.value)}
          />
        </div>
        <div class="fb-field">
          <label for={`${titleId}-password`}>{t("login.password")}</label>
          <input
            id={`${titleId}-password`}
            name="password"
            type="password"
            autocomplete="current-password"
            required
            value={password}
            onInput={(e) => setPassword(e.currentTarget.value)}
          />
        </div>
        <label class="fb-check">
          <input
            type="checkbox"
            name="remember"
            checked={remember}
            onChange={(e) => setRemember(e.currentTarget.checked)}
          />
          <span>{t("login.remember")}</span>
        </label>
        <p class="fb-error" id={`${titleId}-error`} role="alert" hidden={!error}>
          {error ? errorMessage(error) : ""}
        </p>
        <div class="fb-actions">
          <button type="submit" class="fb-button fb-wide" disabled={busy}>
            {busy ? t("login.signingIn") : t("login.submit")}
          </button>
          {error instanceof OtherUsersChanges && (
            <button
              type="button"
              class="fb-button fb-danger fb-wide"
              disabled={busy}
              onClick={(e) => submit(e, true)}
            >
              {t("login.discardOthers")}
            </button>
          )}
        </div>
      </form>
      {!expired && (
        <p class="fb-lang-switch">
          <button
            type="button"
            class="fb-link-button"
            lang={locale() === "en" ? "zh-CN" : "en"}
            onClick={() => setLocale(locale() === "en" ? "zh-CN" : "en")}
          >
            {locale() === "en" ? "切换到中文" : "Switch to English"}
          </button>
        </p>
      )}
    </section>
  );
}
