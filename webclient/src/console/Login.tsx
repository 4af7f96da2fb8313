import { useState } from "preact/hooks";
import { ApiError } from "./api";
import { fmtDateTime, locale, setLocale, t, useLocale } from "./i18n";
import { signIn } from "./session";

function problem(err: unknown): string {
  if (err instanceof ApiError) {
    if (err.status === 401) return t("console.login.credentials");
    if (err.status === 422) return t("console.login.missing");
    if (err.code === "account_locked") {
      const until = err.details.locked_until;
      return t("console.login.locked", {
        until: typeof until === "string" ? fmtDateTime(until) : "?",
      });
    }
    if (err.status === 429) return t("console.login.tooMany");
    return t("console.login.server", { status: err.status });
  }
  if (err instanceof TypeError) return t("console.login.offline");
  return t("console.login.server", { status: "?" });
}

/** The console's sign-in: the same accounts and sessions as the phone app. */
export function Login() {
  useLocale();
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [remember, setRemember] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  async function submit(event: Event) {
    event.preventDefault();
    if (!username.trim() || !password) {
      setError(new ApiError(422, "validation_error", ""));
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await signIn(username.trim(), password, remember);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <main class="cn-login" id="main">
      <section class="cn-panel" aria-labelledby="login-title">
        <h1 id="login-title">{t("console.login.title")}</h1>
        <p class="cn-muted">{t("console.login.explain")}</p>
        <form class="cn-form" data-testid="login-form" onSubmit={submit} noValidate>
          <div class="cn-field">
            <label for="login-username">{t("console.login.username")}</label>
            <input
              id="login-username"
              name="username"
              autocomplete="username"
              autocapitalize="none"
              spellcheck={false}
              value={username}
              onInput={(e) => setUsername(e.currentTarget.value)}
            />
          </div>
          <div class="cn-field">
            <label for="login-password">{t("console.login.password")}</label>
            <input
              id="login-password"
              name="password"
              type="password"
              autocomplete="current-password"
              value={password}
              onInput={(e) => setPassword(e.currentTarget.value)}
            />
          </div>
          <label class="cn-check">
            <input
              type="checkbox"
              name="remember"
              checked={remember}
              onChange={(e) => setRemember(e.currentTarget.checked)}
            />
            <span>{t("console.login.remember")}</span>
          </label>
          <p class="cn-error" role="alert" hidden={!error}>
            {error ? problem(error) : ""}
          </p>
          <button type="submit" class="cn-button" disabled={busy}>
            {busy ? t("console.login.signingIn") : t("console.login.submit")}
          </button>
        </form>
        <p>
          <button
            type="button"
            class="cn-link"
            lang={locale() === "en" ? "zh-CN" : "en"}
            onClick={() => setLocale(locale() === "en" ? "zh-CN" : "en")}
          >
            {t("console.languageLabel")}
          </button>
        </p>
      </section>
    </main>
  );
}
