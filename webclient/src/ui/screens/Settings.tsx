import { useState } from "preact/hooks";
import { myNumbers } from "../../data";
import { fmtFixed, fmtNumber, setLocale, t, useLocale, type Locale } from "../../i18n";
import { logout, session } from "../../sync/session";
import { useLive } from "../components/useLive";
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
